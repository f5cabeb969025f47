"""Pre-public access: the Operator access section of the case page and of the workspace.

The developer's people see the case's grants with the controls to grant,
approve a nomination and revoke, the link to the download log and the
operators' reports marked for them. Agency staff who can see the case get the
same facts read-only, every report, and (coordinators of a routed agency) a
form to nominate an operator. Nobody else gets the panel.
"""

from django.db.models import F, FilteredRelation, Q
from django.urls import reverse
from django.utils import timezone

from access.forms_developer import GrantForm, NominationForm
from access.models import AccessGrant
from access.selectors import reports_on_seen_case
from access.services import GRANTABLE
from portal.accounts import kept_actions
from portal.cases.access import is_developer_member, is_routed_coordinator
from portal.core.days import days_until
from portal.core.hooks import case_panel

OPEN = (AccessGrant.Status.NOMINATED, AccessGrant.Status.ACTIVE)


def days_left(access_grant, now) -> int | None:
    """Whole days until the grant ends, for open grants; 0 on its last day."""
    if access_grant.status not in OPEN or access_grant.ends_at <= now:
        return None
    return days_until(access_grant.ends_at, now=now)


def _grants_with_chosen_artifacts(case):
    """The case's grants, newest first, each with ``chosen``: the names of the artifacts
    a grant to chosen ones shares (in the artifacts' order), in one query.

    A row per chosen artifact (one for every other grant), folded back into grants.
    """
    rows = (
        AccessGrant.objects.filter(case=case)
        .select_related("operator", "granted_by", "revoked_by")
        .annotate(
            # Of who nominated, the list names only the agency.
            nominating_agency=F("nominated_by__membership__agency__acronym"),
            shared=FilteredRelation("artifacts", condition=Q(all_artifacts=False)),
            artifact_name=F("shared__original_name"),
        )
        .order_by("-created_at", "-pk", "shared__kind", "shared__uploaded_at", "shared__pk")
    )
    grants = {}
    for row in rows:
        access_grant = grants.setdefault(row.pk, row)
        if access_grant is row:
            access_grant.chosen = []
        if row.artifact_name is not None:
            access_grant.chosen.append(row.artifact_name)
    return list(grants.values())


def _submitted(user, case) -> bool:
    return not case.is_draft


@case_panel(30, section="access", title="Operator access", shown_to=_submitted)
def access_panel(request, case):
    user = request.user
    developer_view = is_developer_member(user, case)
    if case.is_draft or not (developer_view or user.is_agency_staff):
        return None
    now = timezone.now()
    grants = _grants_with_chosen_artifacts(case)
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
