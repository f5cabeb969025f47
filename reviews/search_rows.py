"""The rows of the search page's three lists (cases, findings, threads), in Python.

As the queues' rows (``reviews.rows``): each row is one f-string with the
markup the template wrote before, every value escaped with ``html.escape`` and
the row marked safe once. Each list reads only the columns its rows show
(``CASE_ROW``, ``FINDING_ROW``, ``THREAD_ROW``: ``values()`` dicts, no model
instances), and its links are reversed once per request
(``portal.core.links.link_maker``) rather than once per row. The lists'
headings, tables' heads and pagination stay in ``reviews/search.html``.
"""

from collections.abc import Callable
from html import escape

from django.utils.safestring import SafeString, mark_safe

from portal.cases.models import CaseStatus
from portal.discussions.models import Marking as ThreadMarking
from reviews.models import Finding

CASE_STATUS_LABELS = dict(CaseStatus.choices)
SEVERITY_LABELS = dict(Finding.Severity.choices)
FINDING_STATUS_LABELS = dict(Finding.Status.choices)
THREAD_MARKING_LABELS = dict(ThreadMarking.choices)

CASE_ROW = ("pk", "number", "model_name", "model_version", "developer__name", "status")
FINDING_ROW = (
    "pk",
    "case_id",
    "title",
    "severity",
    "status",
    "case__number",
    "case__model_name",
    "case__model_version",
    "agency__name",
)
THREAD_ROW = (
    "pk",
    "case_id",
    "subject",
    "marking",
    "case__number",
    "agency__acronym",
    "organization__name",
)


def _reference(number: str | None, case_id: int) -> str:
    """``Submission.reference``, from the columns a row reads."""
    return number or f"Draft {case_id}"


def case_row(case: dict, link: Callable[[int], str]) -> SafeString:
    """A case found (``CASE_ROW``); ``link`` makes its URL (the workspace for agency
    staff, the case page for everyone else)."""
    status = case["status"]
    return mark_safe(  # noqa: S308  # safe: every value is escaped here
        "<tr>"
        f'<th scope="row" data-label="Case"><a class="usa-link" href="{escape(link(case["pk"]))}">'
        f"{escape(_reference(case['number'], case['pk']))}</a></th>"
        f'<td data-label="Model">{escape(case["model_name"])} {escape(case["model_version"])}</td>'
        f'<td data-label="Developer">{escape(case["developer__name"])}</td>'
        f'<td data-label="Status">{escape(CASE_STATUS_LABELS.get(status, status))}</td>'
        "</tr>"
    )


def finding_row(finding: dict, link: Callable[[int], str]) -> SafeString:
    """A finding found (``FINDING_ROW``), linked to its place in its case's findings
    (``link`` makes that page's URL from the case's id)."""
    url = f"{link(finding['case_id'])}#finding-{int(finding['pk'])}"
    reference = _reference(finding["case__number"], finding["case_id"])
    severity, status = finding["severity"], finding["status"]
    return mark_safe(  # noqa: S308  # safe: every value is escaped here
        "<tr>"
        f'<th scope="row" data-label="Finding"><a class="usa-link" href="{escape(url)}">'
        f"{escape(finding['title'])}</a></th>"
        f'<td data-label="Case">{escape(reference)} '
        f"{escape(finding['case__model_name'])} {escape(finding['case__model_version'])}</td>"
        f'<td data-label="Agency">{escape(finding["agency__name"])}</td>'
        f'<td data-label="Severity">{escape(str(SEVERITY_LABELS.get(severity, severity)))}</td>'
        f'<td data-label="Status">{escape(FINDING_STATUS_LABELS.get(status, status))}</td>'
        "</tr>"
    )


def _audience(thread: dict) -> str:
    """``Thread.audience``, from the columns a row reads."""
    marking = thread["marking"]
    if marking == ThreadMarking.AGENCY_ONLY and thread["agency__acronym"] is not None:
        return f"{thread['agency__acronym']} only"
    if marking == ThreadMarking.OPERATOR and thread["organization__name"] is not None:
        return f"The agencies and {thread['organization__name']}"
    return str(THREAD_MARKING_LABELS.get(marking, marking))


def thread_item(thread: dict, link: Callable[[int], str]) -> SafeString:
    """A thread found (``THREAD_ROW``)."""
    reference = _reference(thread["case__number"], thread["case_id"])
    return mark_safe(  # noqa: S308  # safe: every value is escaped here
        f'<li><a class="usa-link" href="{escape(link(thread["pk"]))}">'
        f"{escape(thread['subject'])}</a>"
        f" · {escape(reference)} · {escape(_audience(thread))}</li>"
    )
