"""What the review services share: their refusal, the actor checks, storing an upload."""

from django.urls import reverse

from portal.accounts.models import Membership
from portal.cases.services.lifecycle import CaseActionRefused
from reviews.models import Assignment
from reviews.selectors import active_assignment


class ReviewActionRefused(CaseActionRefused):
    """The action is not allowed now; the message says why."""


def agency_membership(user) -> Membership | None:
    """The person's membership if they are agency staff."""
    membership = getattr(user, "membership", None)
    return membership if membership is not None and membership.agency_id else None


def coordinator_of_routed_agency(actor, case) -> Membership:
    """The actor's membership, if they coordinate an agency the case is routed to; else refused."""
    membership = agency_membership(actor)
    if (
        membership is None
        or membership.role != Membership.Role.COORDINATOR
        or not case.routings.filter(agency_id=membership.agency_id).exists()
    ):
        raise ReviewActionRefused("Only a coordinator of an agency on the case can do this.")
    return membership


def coordinator_of_lead_agency(actor, case) -> Membership:
    """The actor's membership, if they coordinate the case's lead agency; else refused."""
    membership = agency_membership(actor)
    if (
        membership is None
        or membership.role != Membership.Role.COORDINATOR
        or membership.agency_id != case.lead_agency_id
    ):
        raise ReviewActionRefused(
            "Only a coordinator of the lead agency can do this: the lead drafts and issues "
            "the joint recommendation."
        )
    return membership


def coordinator_of_participant(actor, case) -> Membership:
    """The actor's membership, if they coordinate a routed agency other than the lead;
    else refused."""
    membership = coordinator_of_routed_agency(actor, case)
    if membership.agency_id == case.lead_agency_id:
        raise ReviewActionRefused(
            "Your agency leads this review: it issues the recommendation and records no position."
        )
    return membership


def working_reviewer(actor, case) -> Assignment:
    """An accepted lead or reviewer (observers read, they don't write); else refused."""
    assignment = active_assignment(actor, case)
    if assignment is None or assignment.role == Assignment.Role.OBSERVER:
        raise ReviewActionRefused("Only the case's assigned reviewers can do this.")
    return assignment


def workspace_url(case) -> str:
    return reverse("reviews:workspace", args=[case.pk])


def section_url(case, section: str) -> str:
    """A section of the case's workspace ("findings", "requests", …), for a notification's link."""
    return reverse(f"reviews:case_{section}", args=[case.pk])
