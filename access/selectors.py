"""Reading access: the grants and the reports a person may see, each one queryset.

Every list and every access helper (``access.access``) starts here, so a
grant or a report out of a person's reach is absent from lists and answers
404 alike.
"""

from collections import defaultdict

from django.db.models import BooleanField, Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.models import AccessGrant, EvaluationReport, Terms, TermsAcceptance
from portal.accounts.models import Membership
from portal.cases.models import Artifact, CaseStatus, Submission

# A grant that closed stays the operator's to look back on: its state, why, and
# the organization's own reports. Nothing is downloaded or read through it.
CLOSED = (AccessGrant.Status.REVOKED, AccessGrant.Status.EXPIRED)


def operator_grants(user):
    """Grants this person may download from: visible to them and to their own organization.

    The developer and the case's agencies see grants too; they never download
    through them, so a submitter's or coordinator's request finds nothing.
    """
    membership = getattr(user, "membership", None)
    if membership is None or membership.role != Membership.Role.SECURITY_TEAM:
        return AccessGrant.objects.none()
    return AccessGrant.objects.visible_to(user).filter(operator_id=membership.organization_id)


def grant_is_open(grant_id: int) -> bool:
    """Whether downloads may still flow through the grant, now: one indexed query.

    Active, inside its window (an end that passed counts before expiry closes
    the grant), and its case not withdrawn. A running download asks this every
    ``DOWNLOAD_RECHECK_SECONDS`` and stops at the first no (docs/transfers.md).
    """
    return (
        AccessGrant.objects.live()
        .filter(pk=grant_id)
        .exclude(case__status=CaseStatus.WITHDRAWN)
        .exists()
    )


def accepted_current_terms(user) -> Exists:
    """As a query expression: the person accepted the terms in force now (none in force: no).

    The same rule as ``access.services.has_accepted_current_terms``, for one query.
    """
    current = Terms.objects.filter(published_at__lte=timezone.now()).order_by("-version")
    return Exists(
        TermsAcceptance.objects.filter(
            user_id=getattr(user, "pk", None) or 0, terms_id=Subquery(current.values("pk")[:1])
        )
    )


def grant_for_download(user, grant_id: int) -> AccessGrant | None:
    """The grant and its case, with what a download check asks of them, in one query.

    ``may_download``: ``operator_grants`` holds it (visible to the person, to
    their own organization); ``terms_accepted``: the person accepted the
    current terms. Read afresh on every request: a revoke, the end of the
    window or a withdrawal counts from the next request on.
    """
    may_download: Exists | Value
    if _own_organization(user) is None:
        may_download = Value(False, output_field=BooleanField())
    else:
        may_download = Exists(operator_grants(user).filter(pk=OuterRef("pk")))
    return (
        AccessGrant.objects.select_related("case")
        .annotate(may_download=may_download, terms_accepted=accepted_current_terms(user))
        .filter(pk=grant_id)
        .first()
    )


def artifacts_for_download(access_grant: AccessGrant, artifact_id: int):
    """One query: the grant's artifacts, in id order, plus the case's artifact
    ``artifact_id`` whether granted or not; each says whether it is ``granted``."""
    artifacts = Artifact.objects.filter(case_id=access_grant.case_id).order_by("pk")
    if access_grant.all_artifacts:
        return artifacts.annotate(granted=Value(True, output_field=BooleanField()))
    through = AccessGrant.artifacts.through.objects.filter(
        accessgrant_id=access_grant.pk, artifact_id=OuterRef("pk")
    )
    return artifacts.annotate(granted=Exists(through)).filter(Q(granted=True) | Q(pk=artifact_id))


def _own_organization(user) -> int | None:
    membership = getattr(user, "membership", None)
    if membership is None or membership.role != Membership.Role.SECURITY_TEAM:
        return None
    return membership.organization_id


def was_given(organization_id: int):
    """The organization's grants that were once given to it, whatever they are now.

    A nomination never approved (declined, or lapsed) was never the
    organization's, so it is not among them (``granted_at`` is empty).
    """
    return AccessGrant.objects.filter(operator_id=organization_id, granted_at__isnull=False)


def closed_grants(user, *, at=None):
    """Grants the organization had, now closed: revoked, expired, or past their end.

    The operator's list shows them as "revoked on DATE: reason" or "ended on
    DATE", with how many reports the organization filed on each; a grant past
    its end that expiry has not closed yet counts as ended. Read by the
    organization, not by the permission, which closing took away.
    """
    organization_id = _own_organization(user)
    if organization_id is None:
        return AccessGrant.objects.none()
    at = at or timezone.now()
    return (
        was_given(organization_id)
        .filter(Q(status__in=CLOSED) | Q(status=AccessGrant.Status.ACTIVE, ends_at__lte=at))
        .select_related("case__developer")
        .annotate(report_count=Count("reports"))
        .order_by(Coalesce("revoked_at", "ends_at").desc(), "-pk")
    )


def viewable_grants(user):
    """The grants whose page this person may open: the ones they may download from
    (``operator_grants``), and their organization's closed ones."""
    organization_id = _own_organization(user)
    if organization_id is None:
        return AccessGrant.objects.none()
    return AccessGrant.objects.filter(
        Q(pk__in=operator_grants(user).values("pk"))
        | Q(pk__in=was_given(organization_id).filter(status__in=CLOSED).values("pk"))
    )


def search_grants(user, query: str):
    """The grants of the person's organization whose case matches ``query``; operators only.

    Matches the case number (or any part of it), the model's name and version
    and the developer's name, in SQL, among ``operator_grants`` only: what the
    grant's own page shows them, nothing more.
    """
    query = query.strip()
    if not query:
        return AccessGrant.objects.none()
    matches = (
        Q(case__number__icontains=query)
        | Q(case__model_name__icontains=query)
        | Q(case__model_version__icontains=query)
        | Q(case__developer__name__icontains=query)
    )
    return (
        operator_grants(user)
        .filter(matches)
        .select_related("case__developer")
        .order_by("-created_at", "-pk")
    )


def live_grants(user, *, at=None):
    """Live grants with all a list shows, in a fixed number of queries."""
    return (
        operator_grants(user)
        .live(at)
        .select_related("case__developer")
        .prefetch_related("case__artifacts", "artifacts")
        .order_by("ends_at", "pk")
    )


def live_grant_list(user, *, at=None) -> list[AccessGrant]:
    """``live_grants``, read for a list: the grants, then all their artifacts in one more
    query (``load_granted_artifacts``), whatever the number of grants."""
    grants = list(
        operator_grants(user).live(at).select_related("case__developer").order_by("ends_at", "pk")
    )
    load_granted_artifacts(grants)
    return grants


def load_granted_artifacts(grants: list[AccessGrant]) -> None:
    """Set what ``AccessGrant.granted_artifacts`` returns for each grant, from one query:
    the case's artifacts for a grant of all of them, the chosen ones for the others.

    One pass over the artifacts of those cases and the chosen ones, each row with a
    grant that chose it (the filter's join of the choices, reused): a grant of
    every artifact takes its case's, once each; another takes the rows it chose.
    """
    if not grants:
        return
    whole = {grant.case_id for grant in grants if grant.all_artifacts}
    chosen = {grant.pk for grant in grants if not grant.all_artifacts}
    rows = (
        Artifact.objects.filter(Q(case_id__in=whole) | Q(access_grants__in=chosen))
        .annotate(chosen_by=F("access_grants"))
        .order_by("pk")
    )
    of_case: dict[int, dict[int, Artifact]] = defaultdict(dict)
    of_grant: dict[int, list[Artifact]] = defaultdict(list)
    for artifact in rows:
        if artifact.case_id in whole:
            of_case[artifact.case_id][artifact.pk] = artifact
        if artifact.chosen_by in chosen:
            of_grant[artifact.chosen_by].append(artifact)
    for grant in grants:
        vars(grant)["loaded_artifacts"] = (
            list(of_case[grant.case_id].values()) if grant.all_artifacts else of_grant[grant.pk]
        )


def readable_reports(user):
    """The reports this person may read: one query, whatever their role.

    Agency staff who can see its case (coordinators of routed agencies,
    reviewers who accepted), the operator organization that wrote it, and the
    developer only when the report is marked for the developer.
    """
    reports = EvaluationReport.objects.all()
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    if membership is None:
        return reports.none()
    if membership.agency_id is not None:
        return reports.filter(case__in=Submission.objects.visible_to(user).values("pk"))
    if membership.role in Membership.OPERATOR_ROLES:
        return reports.filter(operator_id=membership.organization_id)
    if membership.role in Membership.DEVELOPER_ROLES:
        return reports.filter(
            marking=EvaluationReport.Marking.DEVELOPER,
            case__developer_id=membership.organization_id,
            case__in=Submission.objects.visible_to(user).values("pk"),
        )
    return reports.none()


def reports_on_seen_case(user, case):
    """``readable_reports(user)`` on one case the person sees: the same reports.

    For a case found through ``Submission.objects.visible_to(user)`` (the case
    pages find theirs so), whether the person sees it is answered already; what
    is left of ``readable_reports`` is each role's rule, without its subquery.
    """
    reports = EvaluationReport.objects.filter(case=case)
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    if membership is None:
        return reports.none()
    if membership.agency_id is not None:
        return reports
    if membership.role in Membership.OPERATOR_ROLES:
        return reports.filter(operator_id=membership.organization_id)
    if membership.role in Membership.DEVELOPER_ROLES and (
        case.developer_id == membership.organization_id
    ):
        return reports.filter(marking=EvaluationReport.Marking.DEVELOPER)
    return reports.none()
