"""The rows of the developer's list of cases, in Python (as ``reviews.rows`` for the
review queues): one f-string per row with the markup the template had, every value
escaped with ``html.escape`` and the result marked safe once."""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from portal.cases.models import CaseStatus
from portal.core.templatetags.portal_tags import SHORT_NOTICE_TAG, release_flags

STATUS_LABELS = dict(CaseStatus.choices)


def case_row(case, url: str) -> SafeString:
    """A row of ``portal/cases/case_list.html``; ``url`` is the case's page."""
    planned = case.planned_release_date.isoformat() if case.planned_release_date else "—"
    due = case.review_due.isoformat() if case.review_due else "—"
    paused = " (paused)" if case.clock_paused else ""
    short_notice = SHORT_NOTICE_TAG if case.short_notice else ""
    return mark_safe(  # noqa: S308  # safe: every value is escaped here, or format_html's
        "<tr>"
        f'<th scope="row" data-label="Case"><a class="usa-link" href="{escape(url)}">'
        f"{escape(case.reference)}</a></th>"
        f'<td data-label="Model">{escape(case.title)}</td>'
        '<td data-label="Status">'
        f'<span class="usa-tag portal-status portal-status--{escape(case.status)}">'
        f"{escape(STATUS_LABELS.get(case.status, case.status))}</span></td>"
        f'<td data-label="Planned release">{planned}</td>'
        f'<td data-label="Review due">{due}{paused}</td>'
        f'<td data-label="Flags">{short_notice} {release_flags(case)}</td>'
        "</tr>"
    )
