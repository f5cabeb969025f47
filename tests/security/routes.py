"""How to reach every URL pattern of the portal with the objects of the security world."""

from django.urls import URLPattern, URLResolver, get_resolver

from access.views.downloads import granted_files

# URL kwargs by pattern name, from the world (see tests/security/world.py).
KWARGS = {
    # Cases: the case in review, or the developer's draft where only a draft can change.
    "portal:case_detail": lambda w: {"pk": w.case.pk},
    "portal:case_artifacts": lambda w: {"pk": w.case.pk},
    "portal:case_scores": lambda w: {"pk": w.case.pk},
    "portal:case_timeline": lambda w: {"pk": w.case.pk},
    # A section another app adds (every one: test_every_added_section_answers).
    "portal:case_section": lambda w: {"pk": w.case.pk, "section": "access"},
    "portal:case_edit": lambda w: {"pk": w.draft.pk},
    "portal:case_submit": lambda w: {"pk": w.draft.pk},
    "portal:case_withdraw": lambda w: {"pk": w.case.pk},
    "portal:case_mark_released": lambda w: {"pk": w.case.pk},
    "portal:case_change_release_date": lambda w: {"pk": w.case.pk},
    "portal:artifact_upload": lambda w: {"pk": w.case.pk},
    "portal:artifact_download": lambda w: {"pk": w.case.pk, "artifact_id": w.artifact.pk},
    "portal:artifact_delete": lambda w: {"pk": w.draft.pk, "artifact_id": w.draft_artifact.pk},
    "portal:eval_result_set": lambda w: {"pk": w.draft.pk},
    "portal:eval_result_remove": lambda w: {"pk": w.draft.pk, "result_id": w.score.pk},
    "portal:eval_result_correct": lambda w: {"pk": w.case.pk, "result_id": w.case_score.pk},
    "portal:token_revoke": lambda w: {"token_id": w.submitter_token.pk},
    "passkey_remove": lambda w: {"passkey_id": w.passkey.pk},
    "portal:frontier_benchmark": lambda w: {"slug": w.benchmark.slug},
    "portal:frontier_routing_request": lambda w: {"pk": w.case.pk},
    "portal:routing_request_answer": lambda w: {"request_id": w.routing_request.pk},
    # Links by email, forged: the pages say the link does not work.
    "password_reset_confirm": lambda w: {"uidb64": "MQ", "token": "forged-token"},
    "invitation_accept": lambda w: {"token": "forged-token"},
    "email_change_confirm": lambda w: {"token": "forged-token"},
    "api_artifact_put": lambda w: {"pk": w.case.pk, "name": "aurora-2.1.safetensors"},
    "api_uploads": lambda w: {"pk": w.case.pk},
    "api_upload": lambda w: {"pk": w.case.pk, "key": "an-upload-nobody-started"},
    # Review work.
    "reviews:assign": lambda w: {"pk": w.case.pk},
    "reviews:route": lambda w: {"pk": w.case.pk},
    "reviews:assignment_remove": lambda w: {"assignment_id": w.assignment.pk},
    "reviews:assignment_due": lambda w: {"assignment_id": w.assignment.pk},
    "reviews:assignment_respond": lambda w: {"assignment_id": w.assignment.pk},
    "reviews:assignment_complete": lambda w: {"assignment_id": w.assignment.pk},
    "reviews:workspace": lambda w: {"pk": w.case.pk},
    "reviews:case_reviewers": lambda w: {"pk": w.case.pk},
    "reviews:case_findings": lambda w: {"pk": w.case.pk},
    "reviews:case_requests": lambda w: {"pk": w.case.pk},
    "reviews:case_scores": lambda w: {"pk": w.case.pk},
    "reviews:case_artifacts": lambda w: {"pk": w.case.pk},
    "reviews:case_recommendation": lambda w: {"pk": w.case.pk},
    "reviews:case_timeline": lambda w: {"pk": w.case.pk},
    "reviews:case_section": lambda w: {"pk": w.case.pk, "section": "access"},
    "reviews:finding_create": lambda w: {"pk": w.case.pk},
    "reviews:finding_update": lambda w: {"finding_id": w.finding.pk},
    "reviews:evidence_download": lambda w: {
        "finding_id": w.finding.pk,
        "evidence_id": w.evidence.pk,
    },
    "reviews:request_open": lambda w: {"pk": w.case.pk},
    "reviews:request_answer": lambda w: {"request_id": w.open_request.pk},
    "reviews:request_withdraw": lambda w: {"request_id": w.open_request.pk},
    "reviews:attachment_download": lambda w: {
        "request_id": w.answered_request.pk,
        "attachment_id": w.attachment.pk,
    },
    "reviews:case_discussion": lambda w: {"pk": w.case.pk},
    "reviews:score_record": lambda w: {"pk": w.case.pk},
    "reviews:recommendation_draft": lambda w: {"pk": w.case.pk},
    "reviews:recommendation_issue": lambda w: {"pk": w.case.pk},
    # The joint case: CAISI leads, NSA participates.
    "reviews:lead_hand_over": lambda w: {"pk": w.joint_case.pk},
    "reviews:recommendation_deadline": lambda w: {"pk": w.joint_case.pk},
    "reviews:position_record": lambda w: {"pk": w.joint_case.pk},
    "reviews:position_amend": lambda w: {"pk": w.joint_case.pk},
    # Critical-infrastructure access.
    "access:grant_detail": lambda w: {"grant_id": w.grant.pk},
    "access:download": lambda w: _download_kwargs(w),
    "access:sha256sums": lambda w: {"grant_id": w.grant.pk},
    "access:grant_create": lambda w: {"case_id": w.case.pk},
    "access:grant_nominate": lambda w: {"case_id": w.case.pk},
    "access:grant_approve": lambda w: {"grant_id": w.grant.pk},
    "access:grant_revoke": lambda w: {"grant_id": w.grant.pk},
    "access:case_downloads": lambda w: {"case_id": w.case.pk},
    "access:report_create": lambda w: {"grant_id": w.grant.pk},
    "access:report_detail": lambda w: {"report_id": w.report.pk},
    "access:report_file": lambda w: {"report_id": w.report.pk, "file_id": w.report_file.pk},
    "api_download": lambda w: _download_kwargs(w),
    # Discussions: the thread with the developer, where the world's message and
    # attachment are; a case's threads on the case in review.
    "discussions:case_threads": lambda w: {"pk": w.case.pk},
    "discussions:thread_start": lambda w: {"pk": w.case.pk},
    "discussions:thread": lambda w: {"pk": w.developer_thread.pk},
    "discussions:message_post": lambda w: {"pk": w.developer_thread.pk},
    "discussions:attachment_download": lambda w: {
        "pk": w.developer_thread.pk,
        "attachment_id": w.message_attachment.pk,
    },
    "api_sha256sums": lambda w: {"grant_id": w.grant.pk},
    "api_aria2": lambda w: {"grant_id": w.grant.pk},
    "api_model_sig": lambda w: {"grant_id": w.grant.pk},
    "access:model_sig": lambda w: {"grant_id": w.grant.pk},
    "portal:case_model_sig": lambda w: {"pk": w.case.pk},
}


def _download_kwargs(world) -> dict:
    granted = next(f for f in granted_files(world.grant) if f.artifact.pk == world.artifact.pk)
    return {"grant_id": world.grant.pk, "artifact_id": world.artifact.pk, "filename": granted.name}


def _walk(patterns=None, namespace=""):
    """(qualified name, pattern) of every pattern, recursively; the admin's are left out."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry, "app_name", None) == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else str(entry.pattern)), entry


def url_patterns():
    """(qualified name, route) of every pattern, recursively; the admin's are left out."""
    for name, entry in _walk():
        yield name, str(entry.pattern)


def download_url_names() -> set[str]:
    """The patterns whose view is a download view (``portal.files.downloads.download_view``)."""
    return {name for name, entry in _walk() if getattr(entry.callback, "serves_download", False)}
