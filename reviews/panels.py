"""The review as the developer sees it on its case page, and as operators see it
on their grant page.

The developer, on the Review section of its case page: information requests
(with an answer form for each open one), the findings whose marking lets the
developer read them, and the recommendation once it is issued, with the
agencies' positions shared with the developer (named by agency, never by
person). A recommendation still in draft and interagency positions never reach
this panel.

Operators (``portal.core.hooks.grant_panel``, rendered by ``access`` while the
grant is open): the findings marked *operators* on the grant's case, with
their evidence, and the issued recommendation's part for operators, each named
by agency and never by person.
"""

from django.db.models import Prefetch

from portal.cases.access import is_developer_member
from portal.core.hooks import CASE_PAGE, case_panel, grant_panel
from portal.core.nonces import issue_nonce
from reviews.forms_requests import answer_scope
from reviews.models import Finding, FindingEvidence, InformationRequest, Marking, Recommendation
from reviews.selectors import developer_positions, operator_recommendation


def _developer_of_submitted(user, case) -> bool:
    return not case.is_draft and is_developer_member(user, case)


@case_panel(
    20, section="review", title="Review", pages=(CASE_PAGE,), shown_to=_developer_of_submitted
)
def review_panel(request, case):
    """The Review section of the developer's case page (the workspace has its own)."""
    if case.is_draft or not is_developer_member(request.user, case):
        return None
    information_requests = list(
        case.information_requests.select_related("agency", "answered_by")
        .prefetch_related("attachments")
        .order_by("-created_at")
    )
    for info_request in information_requests:
        info_request.answerable = (
            info_request.status == InformationRequest.Status.OPEN and not case.is_closed
        )
        if info_request.answerable:
            info_request.answer_nonce = issue_nonce(request, answer_scope(info_request))
    findings = (
        Finding.objects.visible_to(request.user)
        .filter(case=case)
        .exclude(status=Finding.Status.WITHDRAWN)
        .select_related("agency")
    )
    recommendation = (
        Recommendation.objects.filter(case=case, issued_at__isnull=False)
        .select_related("case__lead_agency")
        .first()
    )
    return "reviews/developer_panel.html", {
        "information_requests": information_requests,
        "open_request_count": sum(1 for r in information_requests if r.answerable),
        "findings": list(findings),
        "recommendation": recommendation,
        "positions": list(developer_positions(case)) if recommendation else [],
    }


@grant_panel(10)
def operator_findings_panel(request, grant):
    """The findings shared with operators on the grant's case: title, severity, text, evidence.

    ``Finding.objects.visible_to`` decides, as everywhere: an operator reads a
    finding marked *operators* while its organization holds
    ``read_operator_findings`` on the case. The marking is asked for again here,
    so the panel shows nothing else, whoever opens it.
    """
    findings = (
        Finding.objects.visible_to(request.user)
        .filter(case_id=grant.case_id, marking=Marking.OPERATORS)
        .select_related("agency")
        .prefetch_related(
            Prefetch("evidence", queryset=FindingEvidence.objects.order_by("uploaded_at", "pk"))
        )
    )
    return "reviews/grant_findings_panel.html", {"findings": list(findings)}


@grant_panel(20)
def operator_recommendation_panel(request, grant):
    """The issued recommendation's part for operators, named by the lead agency.

    ``access`` renders grant panels only for the grant's own organization, and
    only while the grant is open: the same reach as the findings above.
    """
    recommendation = operator_recommendation(grant.case)
    if recommendation is None:
        return None
    return "reviews/grant_recommendation_panel.html", {"recommendation": recommendation}
