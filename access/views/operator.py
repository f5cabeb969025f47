"""Operator pages: granted models, one grant, the organization's downloads, the terms.

For security-team members only (others get 403). Open grants come from one
queryset, ``access.selectors.operator_grants``; a grant another organization
holds is a 404 like a grant that does not exist. A grant the organization had
and that closed (revoked, expired) stays on its list and keeps its page, which
says when and why it closed and lists the organization's reports, but shows no
file to download and nothing shared through it (``access.selectors.closed_grants``).

The grant page's sections from other apps (the findings shared with operators)
come through ``portal.core.hooks.grant_panel``, rendered only while the grant
is open.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from access.access import REPORTABLE, GrantPurpose, get_grant_or_404
from access.forms_operator import TermsAcceptanceForm
from access.models import AccessGrant, Terms, TermsAcceptance, grant_downloads
from access.selectors import CLOSED, closed_grants, live_grant_list
from access.services import AccessActionRefused, accept_terms, has_accepted_current_terms
from access.views.downloads import granted_files, snapshot_files
from portal.accounts.roles import Role, role_required
from portal.audit.events import client_ip
from portal.cases.snapshots import snapshot_tree
from portal.core.days import days_until
from portal.core.hooks import render_grant_panels
from portal.discussions.selectors import threads_for_operator

HISTORY_PAGE_SIZE = 50


def path_of(granted_file) -> str:
    return granted_file.artifact.relative_path


def days_left(access_grant: AccessGrant, now) -> int:
    """Calendar days until access ends, as on every other page; 0 on its last day."""
    return max(days_until(access_grant.ends_at, now=now), 0)


def access_state(access_grant: AccessGrant, now) -> str:
    """What the person may do with the grant now, in words."""
    if access_grant.is_live(now):
        return "Open"
    if access_grant.status == AccessGrant.Status.EXPIRED:
        return "Ended"
    if access_grant.status != AccessGrant.Status.ACTIVE:
        return access_grant.get_status_display()
    return "Not open yet" if now < access_grant.starts_at else "Ended"


def is_open(access_grant: AccessGrant, now) -> bool:
    """Active and not ended: the organization reads what is shared with operators
    on the case (``access.operator_readers``), even before its window opens."""
    return access_grant.status == AccessGrant.Status.ACTIVE and now < access_grant.ends_at


@require_GET
@role_required(Role.SECURITY_TEAM)
def granted_models(request):
    now = timezone.now()
    grants = live_grant_list(request.user, at=now)
    for access_grant in grants:
        access_grant.days_left = days_left(access_grant, now)
        access_grant.files = granted_files(access_grant)
    return render(
        request,
        "access/granted_models.html",
        {
            "organization": request.user.membership.unit,
            "grants": grants,
            "closed_grants": list(closed_grants(request.user, at=now)),
            "terms_accepted": has_accepted_current_terms(request.user),
        },
    )


@require_GET
@role_required(Role.SECURITY_TEAM)
def grant_detail(request, grant_id):
    access_grant = get_grant_or_404(request.user, grant_id, purpose=GrantPurpose.VIEW)
    now = timezone.now()
    live = access_grant.is_live(now)
    closed = access_grant.status in CLOSED
    files = [] if closed else granted_files(access_grant)
    return render(
        request,
        "access/grant_detail.html",
        {
            "grant": access_grant,
            "live": live,
            "closed": closed,
            "state": access_state(access_grant, now),
            "days_left": days_left(access_grant, now) if live else None,
            # A closed grant shares nothing any more: not even the list of its files.
            "files": files,
            # The model snapshot as folders → files, built in memory from the same rows.
            "snapshot": None
            if closed
            else snapshot_tree(
                snapshot_files(access_grant), path_of=lambda f: f.artifact.relative_path
            ),
            "terms_accepted": has_accepted_current_terms(request.user),
            "panels": render_grant_panels(request, access_grant)
            if is_open(access_grant, now)
            else [],
            "reports": list(access_grant.reports.select_related("author").order_by("-created_at")),
            "may_report": access_grant.status in REPORTABLE,
            # Threads addressed to the organization stay readable after the grant ends.
            "threads": list(threads_for_operator(request.user, access_grant.case)[:10]),
        },
    )


@require_GET
@role_required(Role.SECURITY_TEAM)
def download_history(request):
    """Downloads by the organization's people from grants to the organization."""
    organization_id = request.user.membership.organization_id
    events = grant_downloads().filter(
        through_id__in=AccessGrant.objects.filter(operator_id=organization_id).values("pk"),
        user__membership__organization_id=organization_id,
    )
    page = Paginator(events, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "access/download_history.html",
        {"organization": request.user.membership.unit, "page": page},
    )


def _terms_page(request, form, *, status=200):
    current = Terms.current()
    acceptance = (
        TermsAcceptance.objects.filter(user=request.user, terms=current).first()
        if current
        else None
    )
    return render(
        request,
        "access/terms.html",
        {"terms": current, "acceptance": acceptance, "form": form if current else None},
        status=status,
    )


@require_GET
@role_required(Role.SECURITY_TEAM)
def terms(request):
    current = Terms.current()
    form = TermsAcceptanceForm(initial={"terms_id": current.pk}) if current else None
    return _terms_page(request, form)


@require_POST
@role_required(Role.SECURITY_TEAM)
def terms_accept(request):
    form = TermsAcceptanceForm(request.POST)
    if form.is_valid():
        try:
            acceptance = accept_terms(
                actor=request.user,
                terms_id=form.cleaned_data["terms_id"],
                ip=client_ip(request),
            )
        except AccessActionRefused as refusal:
            form = TermsAcceptanceForm(initial={"terms_id": getattr(Terms.current(), "pk", None)})
            messages.error(request, refusal.message)
            return _terms_page(request, form, status=409)
        messages.success(
            request,
            f"You accepted version {acceptance.terms.version} of the terms. "
            "Downloads are open to you.",
        )
        return redirect("access:granted_models")
    return _terms_page(request, form, status=400)
