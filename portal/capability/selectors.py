"""Whose frontier a person may see: the one place that says so.

Every page, export and API of the frontier starts from ``frontier_cases`` (or
``frontier_results``, its scores), so the Frontier page, the CSV and any later
consumer (the JSON API, a digest) show exactly the same cases to the same person:

- **Staff of a monitoring agency** (``Agency.monitors_capability``, ONCD in the
  demo) see every case that has been submitted, in any later status;
  withdrawn cases stay on the chart, hollow and not counted. That is the
  frontier only: model, developer, scores, government scores and jump flags.
  The case itself (its page, findings, artifacts, requests, discussions,
  recommendation) stays behind ``Submission.objects.visible_to``, which a
  monitoring agency passes only once the case is routed to it.
- **Other agency staff** see the submitted cases visible to them (a
  coordinator: the agency's routed cases; a reviewer: the assigned ones).
- **A developer** sees its own submitted cases, never the frontier of others.
- Anyone else sees none.
"""

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from portal.accounts.models import Membership, User
from portal.capability.models import JumpEvaluation, RoutingRequest
from portal.cases.models import CaseRouting, EvalResult, Submission


def monitoring_membership(user) -> Membership | None:
    """The person's membership if they are staff of an active monitoring agency."""
    membership = getattr(user, "membership", None)
    if membership is None or membership.agency_id is None:
        return None
    if membership.role not in Membership.AGENCY_ROLES:
        return None
    agency = membership.agency
    return membership if agency.monitors_capability and agency.active else None


def is_monitoring_staff(user) -> bool:
    return monitoring_membership(user) is not None


def monitoring_staff() -> QuerySet[User]:
    """The active coordinators and reviewers of every active monitoring agency."""
    return User.objects.filter(
        is_active=True,
        membership__agency__monitors_capability=True,
        membership__agency__active=True,
        membership__role__in=Membership.AGENCY_ROLES,
    )


def frontier_cases(user) -> QuerySet[Submission]:
    """The cases whose frontier this person may see: one query, see the module's text."""
    submitted = Submission.objects.filter(submitted_at__isnull=False)
    if is_monitoring_staff(user):
        return submitted
    if getattr(user, "is_agency_staff", False):
        return submitted.visible_to(user)
    membership = getattr(user, "membership", None)
    if membership is None or membership.organization_id is None:
        return submitted.none()
    return submitted.visible_to(user).filter(developer_id=membership.organization_id)


def frontier_results(user):
    """The developer-reported results this person may see on the Frontier: one query.

    Agency staff get each result's stored frontier comparison, the latest jump
    evaluation's rule and trend verdict, and the government-measured score
    beside it. Staff of a monitoring agency also get, per row, whether they
    may open the case (``case_open``) and whether it is routed to their agency
    or asked for (``routed_here``, ``routing_asked``), so the page offers a
    request for routing where it makes sense. Oldest first per benchmark.
    """
    visible = EvalResult.objects.filter(case__in=frontier_cases(user).values("pk"))
    return _with_frontier_columns(user, visible)


def frontier_results_in(user, ids) -> QuerySet[EvalResult]:
    """The rows of ``frontier_results(user)`` with these ids, columns and order alike.

    For ids just taken from ``frontier_results(user)`` itself (a page of it,
    picked by a narrow query): the visibility it checked is not checked twice.
    """
    return _with_frontier_columns(user, EvalResult.objects.filter(pk__in=ids))


def _with_frontier_columns(user, results):
    results = (
        results.filter(source=EvalResult.Source.DEVELOPER)
        .select_related("benchmark", "case", "case__developer")
        .order_by("benchmark__category", "benchmark__name", "case__submitted_at", "case_id")
    )
    if not getattr(user, "is_agency_staff", False):
        return results
    latest = JumpEvaluation.objects.filter(result=OuterRef("pk")).order_by("-evaluated_at", "-pk")
    measured = EvalResult.objects.filter(
        case=OuterRef("case_id"),
        benchmark=OuterRef("benchmark_id"),
        source=EvalResult.Source.GOVERNMENT,
    ).values("score")[:1]
    results = results.annotate(
        jump_rule=Subquery(latest.values("rule")[:1]),
        trend_status=Subquery(latest.values("trend_status")[:1]),
        trend_predicted=Subquery(latest.values("trend_predicted")[:1]),
        months_ahead=Subquery(latest.values("months_ahead")[:1]),
        measured_score=Subquery(measured),
    )
    membership = monitoring_membership(user)
    if membership is not None:
        agency_id = membership.agency_id
        results = results.annotate(
            case_open=Exists(Submission.objects.visible_to(user).filter(pk=OuterRef("case_id"))),
            routed_here=Exists(
                CaseRouting.objects.filter(case=OuterRef("case_id"), agency_id=agency_id)
            ),
            routing_asked=Exists(
                RoutingRequest.objects.filter(
                    case=OuterRef("case_id"),
                    agency_id=agency_id,
                    status=RoutingRequest.Status.OPEN,
                )
            ),
        )
    return results


def open_requests_for_lead(user, case: Submission) -> QuerySet[RoutingRequest]:
    """The open routing requests on ``case`` this person answers: a lead-agency coordinator's."""
    membership = getattr(user, "membership", None)
    if (
        membership is None
        or membership.role != Membership.Role.COORDINATOR
        or membership.agency_id is None
        or membership.agency_id != case.lead_agency_id
    ):
        return RoutingRequest.objects.none()
    return (
        RoutingRequest.objects.filter(case=case, status=RoutingRequest.Status.OPEN)
        .select_related("agency", "requested_by")
        .order_by("requested_at", "pk")
    )
