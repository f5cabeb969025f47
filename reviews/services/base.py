"""What the review services share: their refusal, the actor checks, storing an upload."""

from django.urls import reverse

from portal.accounts.models import Membership
from portal.cases.services.lifecycle import CaseActionRefused
from portal.core.hooks import Reminder, operator_readers_of
from portal.notifications.sweep import send_once
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


def reviewers_url(case) -> str:
    """The workspace's reviewers section: where a coordinator answers news of an assignment."""
    return reverse("reviews:case_reviewers", args=[case.pk])


def developer_review_url(case) -> str:
    """The Review section of the developer's case page (``reviews.panels.review_panel``):
    its information requests, the findings shared with it, the issued recommendation."""
    return reverse("portal:case_section", args=[case.pk, "review"])


def section_url(case, section: str) -> str:
    """A section of the case's workspace ("findings", "requests", …), for a notification's link."""
    return reverse(f"reviews:case_{section}", args=[case.pk])


def tell_operator_readers(
    case, event, *, kind: str, subject, title: str, template: str, context: dict
) -> int:
    """Tell each operator organization reading the case (``operator_readers_of``) once.

    One notice per organization and change: its key is the change's audit
    ``event``, claimed in ``SentReminder`` before the notice is created, so the
    same change never tells an organization twice. Each email's ``context``
    gets the organization; each notice links the organization's own page.
    Returns how many organizations were told.
    """
    told = 0
    for readers in operator_readers_of(case):
        told += send_once(
            Reminder(
                kind=kind,
                subject=subject,
                threshold=f"event-{event.pk}:org-{readers.organization.pk}",
                recipients=readers.people,
                title=title,
                template=template,
                context=context | {"organization": readers.organization},
                case=case,
                url=readers.url,
            )
        )
    return told
