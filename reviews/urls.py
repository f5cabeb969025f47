from django.urls import path

from reviews.views import (
    coordination,
    coordinator,
    findings,
    requests,
    reviewer,
    scores,
    search,
    workspace,
)

app_name = "reviews"
urlpatterns = [
    # Search over cases and findings, from the header's search box.
    path("search/", search.search, name="search"),
    # The coordinator's queue and assignment management.
    path("queue/", coordinator.agency_queue, name="agency_queue"),
    path("reviewers/", coordinator.agency_reviewers, name="agency_reviewers"),
    path("cases/<int:pk>/assign", coordinator.assign, name="assign"),
    path("cases/<int:pk>/route", coordinator.route, name="route"),
    path("assignments/<int:assignment_id>/remove", coordinator.remove, name="assignment_remove"),
    path("assignments/<int:assignment_id>/due", coordinator.change_due, name="assignment_due"),
    # The reviewer's queue and invitations.
    path("mine/", reviewer.my_cases, name="my_cases"),
    path(
        "assignments/<int:assignment_id>/respond",
        reviewer.respond,
        name="assignment_respond",
    ),
    path(
        "assignments/<int:assignment_id>/complete",
        reviewer.complete,
        name="assignment_complete",
    ),
    # The case workspace.
    path("cases/<int:pk>/", workspace.workspace, name="workspace"),
    # Its sections: each an ordinary page beside the overview above.
    path("cases/<int:pk>/reviewers/", workspace.reviewers, name="case_reviewers"),
    path("cases/<int:pk>/findings/", workspace.findings, name="case_findings"),
    path("cases/<int:pk>/requests/", workspace.information_requests, name="case_requests"),
    path("cases/<int:pk>/scores/", workspace.case_scores, name="case_scores"),
    path("cases/<int:pk>/artifacts/", workspace.artifacts, name="case_artifacts"),
    path("cases/<int:pk>/recommendation/", workspace.recommendation, name="case_recommendation"),
    path("cases/<int:pk>/discussion/", workspace.discussion, name="case_discussion"),
    path("cases/<int:pk>/timeline/", workspace.timeline, name="case_timeline"),
    # The sections other apps add (portal.core.hooks.case_panel), after the fixed ones.
    path("cases/<int:pk>/<slug:section>/", workspace.added_section, name="case_section"),
    path("cases/<int:pk>/findings/new", findings.finding_create, name="finding_create"),
    path("findings/<int:finding_id>/update", findings.finding_update, name="finding_update"),
    path(
        "findings/<int:finding_id>/evidence/<int:evidence_id>",
        findings.evidence_download,
        name="evidence_download",
    ),
    path("cases/<int:pk>/requests/new", requests.request_open, name="request_open"),
    path("requests/<int:request_id>/answer", requests.request_answer, name="request_answer"),
    path("requests/<int:request_id>/withdraw", requests.request_withdraw, name="request_withdraw"),
    path(
        "requests/<int:request_id>/attachments/<int:attachment_id>",
        requests.attachment_download,
        name="attachment_download",
    ),
    path("cases/<int:pk>/scores", scores.score_record, name="score_record"),
    path(
        "cases/<int:pk>/recommendation", requests.recommendation_draft, name="recommendation_draft"
    ),
    path(
        "cases/<int:pk>/recommendation/issue",
        requests.recommendation_issue,
        name="recommendation_issue",
    ),
    # The lead agency and the participants' positions.
    path("cases/<int:pk>/lead", coordination.hand_over_lead, name="lead_hand_over"),
    path(
        "cases/<int:pk>/recommendation/deadline",
        coordination.set_deadline,
        name="recommendation_deadline",
    ),
    path("cases/<int:pk>/position", coordination.record_position, name="position_record"),
    path("cases/<int:pk>/position/amend", coordination.amend_position, name="position_amend"),
]
