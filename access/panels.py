"""Pre-public access: the Operator access section of the case page and of the workspace.

The developer's people see the case's grants with the controls to grant,
approve a nomination and revoke, the link to the download log and the
operators' reports marked for them. Agency staff who can see the case get the
same facts read-only, every report, and (coordinators of a routed agency) a
form to nominate an operator. Nobody else gets the panel.
"""

from django.db.models import F, Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone

from access.forms_developer import GrantForm, NominationForm
from access.models import AccessGrant
from access.selectors import reports_on_seen_case
from access.services import GRANTABLE
from portal.accounts import kept_actions
from portal.cases.access import is_developer_member, is_routed_coordinator
from portal.cases.models import Artifact
from portal.core.days import days_until
from portal.core.hooks import case_panel

OPEN = (AccessGrant.Status.NOMINATED, AccessGrant.Status.ACTIVE)


def days_left(access_grant, now) -> int | None:
    """Whole days until the grant ends, for open grants; 0 on its last day."""
    if access_grant.status not in OPEN or access_grant.ends_at <= now:
        return None
    return days_until(access_grant.ends_at, now=now)


def _submitted(user, case) -> bool:
    return not case.is_draft


@case_panel(30, section="access", title="Operator access", shown_to=_submitted)
def access_panel(request, case):
    user = request.user
    developer_view = is_developer_member(user, case)
    if case.is_draft or not (developer_view or user.is_agency_staff):
        return None
    now = timezone.now()
    grants = list(
        AccessGrant.objects.filter(case=case)
        .select_related("operator", "granted_by", "revoked_by")
        # Of who nominated, the list names only the agency.
        .annotate(nominating_agency=F("nominated_by__membership__agency__acronym"))
        .order_by("-created_at", "-pk")
    )
    # The list names the artifacts of a grant to chosen ones only: the others need none.
    prefetch_related_objects(
        [access_grant for access_grant in grants if not access_grant.all_artifacts],
        Prefetch("artifacts", queryset=Artifact.objects.only("pk", "original_name")),
    )
    for access_grant in grants:
        access_grant.days_left = days_left(access_grant, now)
        access_grant.is_open = access_grant.status in OPEN
        # What was typed into a kept revocation that was not done (kept_actions).
        access_grant.refill = (
            kept_actions.refill(request, reverse("access:grant_revoke", args=[access_grant.pk]))
            if developer_view and access_grant.is_open
            else None
        )
    grantable = case.status in GRANTABLE
    grant_refill = (
        kept_actions.refill(request, reverse("access:grant_create", args=[case.pk]))
        if developer_view and grantable
        else None
    )
    return "access/case_panel.html", {
        "developer_view": developer_view,
        "grants": grants,
        "grant_form": GrantForm(grant_refill, case=case) if developer_view and grantable else None,
        "nomination_form": (
            NominationForm() if grantable and is_routed_coordinator(user, case) else None
        ),
        "reports": list(
            # The case pages found the case through the person's visibility.
            reports_on_seen_case(user, case)
            .select_related("operator", "author")
            .order_by("-created_at")
        ),
    }
