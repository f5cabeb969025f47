"""Writing for capability monitoring: a monitoring agency asks for a case, the lead answers.

Each function takes the acting person, checks that they may act, runs in one
transaction with the rows locked, writes the audit event and notifies on
commit (``portal.notifications.services.notify`` queues its emails then). A
refused action raises ``CaseActionRefused`` with a message and changes nothing.
"""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.accounts.models import Membership
from portal.accounts.selectors import agency_coordinators
from portal.audit import events as audit
from portal.capability.models import RoutingRequest
from portal.capability.selectors import frontier_cases, monitoring_membership
from portal.cases.services import lifecycle as case_services
from portal.cases.services.lifecycle import CaseActionRefused, locked_case
from portal.notifications.services import notify

REASON_MAX = 2000


def may_ask_routing(user) -> bool:
    """Only a coordinator of a monitoring agency asks for cases (routing is a coordinator's act)."""
    membership = monitoring_membership(user)
    return membership is not None and membership.role == Membership.Role.COORDINATOR


def request_routing(*, actor, case_id: int, reason: str) -> RoutingRequest:
    """A monitoring agency's coordinator asks the case's lead agency to route the case to it."""
    reason = reason.strip()
    with transaction.atomic():
        case = locked_case(case_id)
        membership = monitoring_membership(actor)
        if (
            membership is None
            or membership.role != Membership.Role.COORDINATOR
            or not frontier_cases(actor).filter(pk=case.pk).exists()
        ):
            raise CaseActionRefused(
                "Only a coordinator of an agency that monitors capability jumps can ask for a case."
            )
        agency = membership.agency
        assert agency is not None  # a monitoring membership is an agency's
        if not reason:
            raise CaseActionRefused("Say why your agency needs the case: the lead agency decides.")
        if len(reason) > REASON_MAX:
            raise CaseActionRefused(f"Keep the reason under {REASON_MAX} characters.")
        if case.is_draft or case.is_closed or case.lead_agency_id is None:
            raise CaseActionRefused(
                f"The case is {case.get_status_display().lower()}; "
                "only a case under review can be routed."
            )
        if case.routings.filter(agency=agency).exists():
            raise CaseActionRefused(f"The case is already routed to {agency}.")
        if RoutingRequest.objects.filter(
            case=case, agency=agency, status=RoutingRequest.Status.OPEN
        ).exists():
            raise CaseActionRefused(
                f"{agency} has already asked for {case.number}; "
                "the lead agency has not answered yet."
            )
        try:
            with transaction.atomic():
                routing_request = RoutingRequest.objects.create(
                    case=case,
                    agency=agency,
                    requested_by=actor,
                    requested_at=timezone.now(),
                    reason=reason,
                )
        except IntegrityError as taken:  # a second request in the same instant
            raise CaseActionRefused(f"{agency} has already asked for {case.number}.") from taken
        # Not a "case." action: the developer's timeline must not show the monitoring.
        audit.record(
            "capability.routing_requested",
            actor=actor,
            target=case,
            details={"agency": agency.acronym, "request": routing_request.pk, "reason": reason},
        )
        notify(
            agency_coordinators([case.lead_agency_id]),
            title=f"{agency.acronym} asks for {case.number} to be routed to it",
            body=(
                f"{agency.acronym} monitors capability jumps and asks to read the review of "
                f"{case.title} ({case.developer}). Its reason: {reason} "
                "Accept or decline on the case's workspace."
            ),
            case=case,
            url=reverse("reviews:workspace", args=[case.pk]),
        )
    return routing_request


def answer_routing_request(
    *, actor, request_id: int, accept: bool, note: str = ""
) -> RoutingRequest:
    """A coordinator of the case's lead agency accepts (the case is routed) or declines."""
    note = note.strip()
    with transaction.atomic():
        routing_request = (
            RoutingRequest.objects.select_for_update().select_related("agency").get(pk=request_id)
        )
        case = locked_case(routing_request.case_id)
        membership = getattr(actor, "membership", None)
        if (
            membership is None
            or membership.role != Membership.Role.COORDINATOR
            or membership.agency_id is None
            or membership.agency_id != case.lead_agency_id
        ):
            raise CaseActionRefused(
                "Only a coordinator of the lead agency can answer a request for the case."
            )
        if not routing_request.is_open:
            raise CaseActionRefused(
                f"This request was {routing_request.get_status_display().lower()} already."
            )
        agency = routing_request.agency
        if accept:
            case_services.route_case(actor=actor, case_id=case.pk, agency=agency)
        routing_request.status = (
            RoutingRequest.Status.ACCEPTED if accept else RoutingRequest.Status.DECLINED
        )
        routing_request.answered_by = actor
        routing_request.answered_at = timezone.now()
        routing_request.answer_note = note[:REASON_MAX]
        routing_request.save(update_fields=["status", "answered_by", "answered_at", "answer_note"])
        audit.record(
            f"capability.routing_request_{routing_request.status}",
            actor=actor,
            target=case,
            details={"agency": agency.acronym, "request": routing_request.pk, "note": note},
        )
        lead = case.lead_agency.acronym if case.lead_agency else "The lead agency"
        verdict = "accepted" if accept else "declined"
        notify(
            [routing_request.requested_by],
            title=f"{lead} {verdict} your request for {case.number}",
            body=(
                f"{lead} {verdict} routing {case.title} to {agency.acronym}."
                + (f" Its note: {note}" if note else "")
                + (" The case is now in your agency's queue." if accept else "")
            ),
            case=case,
            url=(
                reverse("reviews:workspace", args=[case.pk])
                if accept
                else reverse("portal:frontier")
            ),
        )
    return routing_request
