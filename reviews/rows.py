"""The rows of the two review queues (the agency's and the reviewer's), in Python.

A row written in the template language cost some 600 function calls (every
``{{ case.attr }}`` is a lookup chain, every ``{% if %}`` a node): 25 rows were
half of each page's time. Here each row is one f-string with the same markup as
before, every value escaped with ``html.escape`` (what Django's ``escape`` does,
without its lazy-string wrapper) and the result marked safe once. The tables'
head, caption and pagination stay in the templates (``reviews/agency_queue.html``,
``reviews/my_cases.html``).
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from portal.cases.models import CaseStatus
from portal.core.templatetags.portal_tags import SHORT_NOTICE_TAG, list_flags, release_flags
from reviews.models import Assignment

UNASSIGNED_TAG = '<span class="usa-tag portal-tag--warning">Unassigned</span>'


# The labels of statuses and roles, read once (``get_status_display`` builds its
# lookup table on every call).
STATUS_LABELS = dict(CaseStatus.choices)
ROLE_LABELS = dict(Assignment.Role.choices)


def _status_tag(case) -> str:
    """``portal_tags.status_tag``, as a plain string."""
    return (
        f'<span class="usa-tag portal-status portal-status--{escape(case.status)}">'
        f"{escape(STATUS_LABELS.get(case.status, case.status))}</span>"
    )


def queue_row(case) -> SafeString:
    """A row of the agency queue; the view has set the display values it reads."""
    if case.review_due:
        due = f'{case.review_due_text}<br><span class="usa-hint">{escape(case.due_hint)}</span>'
    else:
        due = "—"
    if case.reviewer_count:
        reviewers = str(case.reviewer_count)
    elif case.needs_reviewer:
        reviewers = UNASSIGNED_TAG
    else:
        reviewers = "—"
    return mark_safe(  # noqa: S308  # safe: every value is escaped above or here
        "<tr>"
        '<th scope="row" data-label="Case">'
        f'<a class="usa-link" href="{escape(case.workspace_url)}">{escape(case.reference)}</a>'
        "</th>"
        f'<td data-label="Model">{escape(case.title)}</td>'
        f'<td data-label="Developer">{escape(case.developer.name)}</td>'
        f'<td data-label="Status">{_status_tag(case)}</td>'
        f'<td data-label="Review due">{due}</td>'
        f'<td data-label="Reviewers">{reviewers}</td>'
        f'<td data-label="Highest finding">{escape(case.top_severity_label) or "—"}</td>'
        f'<td data-label="Flags">{list_flags(case)}</td>'
        "</tr>"
    )


def my_case_row(case, csrf_input: str) -> SafeString:
    """A row of the reviewer's cases; ``csrf_input`` is the request's hidden CSRF field."""
    reference = escape(case.reference)
    if case.my_status == Assignment.Status.INVITED:
        heading = (
            f'<a class="usa-link" href="{escape(case.respond_url)}">{reference}</a>'
            '<br><span class="usa-tag">Awaiting your answer</span>'
        )
    else:
        heading = f'<a class="usa-link" href="{escape(case.workspace_url)}">{reference}</a>'
        if case.my_status == Assignment.Status.COMPLETED:
            heading += '<br><span class="usa-hint">You completed your review</span>'
    if case.my_status == Assignment.Status.ACCEPTED:
        action = (
            f'<form method="post" action="{escape(case.complete_url)}">{csrf_input}'
            '<button class="usa-button usa-button--unstyled" type="submit">'
            f'Mark my review complete<span class="usa-sr-only"> for {reference}</span>'
            "</button></form>"
        )
    else:
        action = ""
    role = case.my_role[:1].upper() + case.my_role[1:]
    return mark_safe(  # noqa: S308  # safe: every value is escaped above or here
        "<tr>"
        f'<th scope="row" data-label="Case">{heading}</th>'
        f'<td data-label="Model">{escape(case.title)}</td>'
        f'<td data-label="Developer">{escape(case.developer.name)}</td>'
        f'<td data-label="Status">{_status_tag(case)}</td>'
        f'<td data-label="My role">{escape(role)}</td>'
        f'<td data-label="My due date">{case.my_due.isoformat() if case.my_due else "—"}</td>'
        f'<td data-label="Highest severity">{escape(case.top_severity_label) or "—"}</td>'
        f'<td data-label="Flags">{list_flags(case)}</td>'
        f'<td data-label="Actions">{action}</td>'
        "</tr>"
    )


def invitation_item(invitation, respond_url: str) -> SafeString:
    """An invitation in the list above the reviewer's cases (with its case and developer)."""
    case = invitation.case
    reference = escape(case.reference)
    due = invitation.due_date
    role = ROLE_LABELS.get(invitation.role, invitation.role).lower()
    flags = f" {SHORT_NOTICE_TAG}" if case.short_notice else ""
    return mark_safe(  # noqa: S308  # safe: every value is escaped here
        f"<li>{reference}: {escape(case.title)} ({escape(case.developer.name)}), "
        f"{escape(role)}, due {due:%B} {due.day}, {due.year}"
        f"{flags} {release_flags(case)} — "
        f'<a class="usa-link" href="{escape(respond_url)}">Answer'
        f'<span class="usa-sr-only"> the invitation to {reference}</span></a></li>'
    )
