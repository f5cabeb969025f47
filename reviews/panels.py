"""The review as the developer sees it, on its case page.

Information requests (with an answer form for each open one), the findings
whose marking lets the developer read them, and the recommendation once it is
issued. A recommendation still in draft never reaches this panel.
"""

from portal.cases.access import is_developer_member
from portal.core.hooks import case_panel
from portal.core.nonces import issue_nonce
from reviews.forms_requests import answer_scope
from reviews.models import Finding, InformationRequest, Recommendation


@case_panel(20)
def review_panel(request, case):
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
        .select_related("issued_by")
        .first()
    )
    return "reviews/developer_panel.html", {
        "information_requests": information_requests,
        "open_request_count": sum(1 for r in information_requests if r.answerable),
        "findings": list(findings),
        "recommendation": recommendation,
    }
