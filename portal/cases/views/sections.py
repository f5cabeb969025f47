"""The developer's case page: a set of sections, each its own page with its own URL.

The same shape as the agencies' case workspace (``reviews.views.workspace``):
a compact case header and a side navigation on every section, and each
section builds only its own context, so each page's SQL is a fixed set of
queries whatever the number of artifacts, scores or events. The overview keeps
the case page's URL (``portal:case_detail``); forms live on the section that
uses them, and their POST handlers (``portal.cases.views.pages``) come back to it.

Agency staff who can see the case read the same sections without the
developer's forms; the header links them to the workspace, which is theirs.
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.accounts import kept_actions
from portal.cases.access import get_case_or_404, is_developer_member
from portal.cases.forms import (
    ArtifactUploadForm,
    EvalResultForm,
    ReleaseDateForm,
    ReleasedOnForm,
    ScoreCorrectionForm,
)
from portal.cases.models import EvalResult, Submission
from portal.cases.selectors import case_timeline, score_corrections
from portal.cases.services.lifecycle import NoticeCheck
from portal.core.hooks import CASE_PAGE, case_sections, render_case_panels
from portal.core.nonces import issue_nonce

# The case app's own sections, in the side navigation's order: (key, label, URL name).
# The sections other apps add (portal.core.hooks.case_panel) come before the timeline.
SECTIONS = (
    ("overview", "Overview", "portal:case_detail"),
    ("artifacts", "Artifacts", "portal:case_artifacts"),
    ("scores", "Evaluation scores", "portal:case_scores"),
    ("timeline", "Timeline", "portal:case_timeline"),
)


def section_url(case, section: str) -> str:
    """Where a POST about this section comes back to."""
    url_name = {key: name for key, _label, name in SECTIONS}.get(section)
    if url_name is None:
        return reverse("portal:case_section", args=[case.pk, section])
    return reverse(url_name, args=[case.pk])


def _navigation(user, case) -> list[dict]:
    """The side navigation: this app's sections, and before the timeline those apps add."""
    own = [
        {"key": key, "label": label, "url": reverse(url_name, args=[case.pk])}
        for key, label, url_name in SECTIONS
    ]
    added = [
        {"key": added.key, "label": added.title, "url": section_url(case, added.key)}
        for added in case_sections(CASE_PAGE, user, case)
    ]
    return own[:-1] + added + own[-1:]


def _case(request, pk) -> Submission:
    return get_case_or_404(
        request.user,
        pk,
        queryset=Submission.objects.select_related(
            "developer", "contact_person"
        ).with_pause_start(),
    )


def render_section(request, case, section: str, context: dict, *, template: str = ""):
    """One section under the case header and beside the side navigation.

    The header (portal/cases/partials/case_header.html) costs the same query on
    every section (the routed agencies); its clock comes with the case
    (``Submission.header_clock``), the overview's from the ledger.
    """
    developer_view = is_developer_member(request.user, case)
    sections = _navigation(request.user, case)
    page = {
        "case": case,
        "clock": case.header_clock(),
        "developer_view": developer_view,
        "agencies": list(case.routed_agencies.order_by("acronym")),
        "section": section,
        "sections": sections,
        "section_label": next(item["label"] for item in sections if item["key"] == section),
    }
    template = template or f"portal/cases/sections/{section}.html"
    return render(request, template, page | context)


@require_GET
def overview(request, pk):
    """Details, the clock, the developer's actions and other apps' panels."""
    case = _case(request, pk)
    context: dict = {
        "notice_days": settings.REVIEW_NOTICE_DAYS,
        # The clock box shows the days used and paused: the ledger.
        "clock": case.clock(),
        # Panels other apps put on the overview; their own sections run theirs.
        "panels": render_case_panels(request, case, page=CASE_PAGE),
    }
    developer_view = is_developer_member(request.user, case)
    if case.is_draft and developer_view:
        context["notice"] = (
            NoticeCheck.for_release(case.planned_release_date)
            if case.planned_release_date
            else None
        )
    if developer_view and not case.is_closed:
        # The reason typed into a kept withdrawal that was not done (kept_actions).
        context["withdraw_refill"] = kept_actions.refill(
            request, reverse("portal:case_withdraw", args=[case.pk])
        )
    if developer_view and not case.is_draft and not case.is_closed:
        context["release_date_form"] = ReleaseDateForm(
            initial={"planned_release_date": case.planned_release_date}
        )
        context["released_on_form"] = ReleasedOnForm(initial={"released_on": timezone.localdate()})
        # The date typed into a kept "Mark as released" that was not done (kept_actions).
        context["released_refill"] = kept_actions.refill(
            request, reverse("portal:case_mark_released", args=[case.pk])
        )
    return render_section(request, case, "overview", context)


@require_GET
def artifacts(request, pk):
    """The artifacts, and for the developer of an open case the upload form."""
    case = _case(request, pk)
    developer_view = is_developer_member(request.user, case)
    context: dict = {
        "artifacts": case.artifacts.select_related("uploaded_by", "supersedes").order_by(
            "uploaded_at"
        ),
        "can_download": developer_view,
    }
    if developer_view and not case.is_closed:
        context["upload_form"] = ArtifactUploadForm(case=case)
        context["upload_nonce"] = issue_nonce(request, f"upload:{case.pk}")
        context["tus_chunk_bytes"] = settings.TUS_BROWSER_CHUNK_BYTES
    return render_section(request, case, "artifacts", context)


@require_GET
def scores(request, pk):
    """The scores reported, and for the developer of a draft the form to report one."""
    case = _case(request, pk)
    results = case.eval_results.select_related("benchmark").order_by("benchmark__name", "source")
    if not request.user.is_agency_staff:
        # Government-measured scores are the agencies' work, not shared outside them.
        results = results.filter(source=EvalResult.Source.DEVELOPER)
    results = list(results)
    context: dict = {"results": results}
    developer = is_developer_member(request.user, case)
    if case.is_draft and developer:
        context["eval_form"] = EvalResultForm()
    if not case.is_draft:
        # Corrections of reported scores after submission, oldest first: one query.
        context["corrections"] = score_corrections(case)
        if developer and not case.is_closed:
            context["correction_forms"] = [
                (result, ScoreCorrectionForm(auto_id=f"id_correct_{result.pk}_%s"))
                for result in results
                if result.source == EvalResult.Source.DEVELOPER
            ]
    return render_section(request, case, "scores", context)


@require_GET
def timeline(request, pk):
    """What happened to the case, its artifacts and scores, oldest first."""
    case = _case(request, pk)
    events = case_timeline(case, for_developer=not request.user.is_agency_staff)
    return render_section(request, case, "timeline", {"timeline": events})


@require_GET
def added_section(request, pk, section):
    """A section another app adds (``portal.core.hooks.case_panel(..., section=...)``).

    404 for a section nobody registered and for one not listed to this person
    on this case (a draft's, say), as for a case out of reach.
    """
    case = _case(request, pk)
    if section not in {added.key for added in case_sections(CASE_PAGE, request.user, case)}:
        raise Http404("No such section of the case.")
    panels = render_case_panels(request, case, page=CASE_PAGE, section=section)
    return render_section(
        request,
        case,
        section,
        {"panels": panels},
        template="portal/cases/sections/added.html",
    )
