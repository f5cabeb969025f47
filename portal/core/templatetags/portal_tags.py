from decimal import Decimal

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

register = template.Library()

TIMELINE_LABELS = {
    "case.created": "Draft started",
    "case.edited": "Draft edited",
    "case.submitted": "Submitted for review",
    "case.routed": "Routed to an agency",
    "case.lead_handed_over": "Lead handed to another agency",
    "case.review_started": "Review started",
    "case.clock_paused": "Information requested; clock paused",
    "case.clock_resumed": "Clock resumed",
    "case.extended": "Review extended",
    "case.recommendation_issued": "Recommendation issued",
    "case.released": "Released publicly",
    "case.release_date_changed": "Planned release date changed",
    "case.withdrawn": "Withdrawn",
    "artifact.uploaded": "Artifact uploaded",
    "artifact.deleted": "Artifact removed from the draft",
    "eval.recorded": "Score recorded",
    "eval.removed": "Score removed",
    "eval.corrected": "Score corrected",
}


@register.simple_tag
def status_tag(case) -> str:
    """A case's status as a USWDS tag (a tag, not an include: lists show 25 of them)."""
    return format_html(
        '<span class="usa-tag portal-status portal-status--{}">{}</span>',
        case.status,
        case.get_status_display(),
    )


@register.filter
def timeline_label(event) -> str:
    label = TIMELINE_LABELS.get(event.action, event.action)
    details = event.details or {}
    if event.action == "case.routed" and details.get("agency"):
        return f"Routed to {details['agency']}"
    if event.action == "case.lead_handed_over" and details.get("to"):
        return f"Lead handed to {details['to']}"
    if event.action.startswith("artifact.") and details.get("name"):
        return f"{label}: {details['name']}"
    if event.action == "eval.recorded" and details.get("benchmark"):
        benchmark = details.get("benchmark_name") or details["benchmark"]
        return f"{label}: {benchmark} = {details.get('score')}"
    if event.action == "eval.corrected" and details.get("benchmark"):
        benchmark = details.get("benchmark_name") or details["benchmark"]
        return (
            f"{label}: {benchmark} {details.get('previous_score')} → {details.get('score')}"
            f" ({details.get('reason', '')})"
        )
    if event.action == "case.release_date_changed" and details.get("to"):
        return f"{label} to {details['to']}: {details.get('reason', '')}".rstrip(": ")
    if event.action == "case.released" and details.get("released_on"):
        return f"{label} on {details['released_on']}"
    if event.action == "case.extended" and details.get("days"):
        return f"{label} by {details['days']} days"
    return label


@register.simple_tag
def release_flags(case) -> str:
    """A case's release warnings as USWDS tags, for lists and headers (a tag, not an include).

    Reads only the case's own fields (``Submission.release_before_review_due``,
    ``released_before_recommendation``): no query per row.
    """
    tags = []
    if case.release_before_review_due:
        tags.append(
            format_html(
                '<span class="usa-tag portal-tag--warning" title="Planned release {} · '
                'review due {}">Release before review due</span>',
                f"{case.planned_release_date:%B %-d, %Y}",
                f"{case.review_due:%B %-d, %Y}",
            )
        )
    if case.released_before_recommendation:
        tags.append(
            format_html(
                '<span class="usa-tag portal-tag--warning" title="Released {}">'
                "Released before recommendation</span>",
                f"{case.released_on:%B %-d, %Y}",
            )
        )
    return format_html_join(" ", "{}", ((tag,) for tag in tags))


SHORT_NOTICE_TAG = '<span class="usa-tag portal-tag--warning">Short notice</span>'
CAPABILITY_JUMP_TAG = '<span class="usa-tag bg-secondary-dark">Capability jump</span>'
JUMP_RETRACTED_TAG = '<span class="usa-tag portal-tag--warning">Capability jump retracted</span>'
REQUESTED_TAG = '<span class="usa-tag">Information requested</span>'


@register.simple_tag
def list_flags(case) -> str:
    """A list row's flags as USWDS tags: short notice, a capability jump (or its
    retraction), an open information request (``has_open_request``, when the list
    annotates it) and the release warnings. A tag, not template markup: lists show
    25 rows, and each row's flags were a dozen template nodes.
    """
    tags = []
    if case.short_notice:
        tags.append(SHORT_NOTICE_TAG)
    if case.capability_jump:
        tags.append(CAPABILITY_JUMP_TAG)
    elif case.capability_jump_retracted_at:
        tags.append(JUMP_RETRACTED_TAG)
    if getattr(case, "has_open_request", False):
        tags.append(REQUESTED_TAG)
    if case.release_before_review_due or case.released_before_recommendation:
        tags.append(release_flags(case))
    return mark_safe(" ".join(tags))  # noqa: S308  # safe: constant markup and format_html's


@register.filter
def bytes_and_size(value: int) -> str:
    """'1,048,576 bytes (1.0 MB)'; under a kilobyte the bytes alone, '42 bytes', not twice."""
    exact = ngettext("%(count)s byte", "%(count)s bytes", value) % {"count": f"{value:,}"}
    if value < 1024:
        return exact
    return f"{exact} ({filesizeformat(value)})"


@register.filter
def signed(value) -> str:
    """A change with its sign: '+10', '−10' (a true minus sign), '0'."""
    if value is None:
        return ""
    magnitude = abs(value)
    text = format(magnitude.normalize(), "f") if isinstance(magnitude, Decimal) else str(magnitude)
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"\u2212{text}"
    return text
