"""Who may read and start discussions: the access helpers and the start rules.

Every view finds a thread here (404 alike for missing and out of reach) and
the case it starts one on. Who may start which marking:

- agency staff on the case (coordinators, accepted reviewers) start
  interagency threads and threads for their own agency only;
- only an agency's coordinator addresses parties outside the government: the
  developer, or an operator organization holding a live grant on the case
  (reviewers put formal questions to the developer as information requests);
- the developer's submitters and organization admins start threads with the
  agencies on their submitted case;
- an operator's security team starts a thread with the agencies about its own
  evaluation while its grant is live, and replies in the threads addressed to it.

Everyone who reads a thread may reply in it.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from portal.accounts.models import Membership, Organization
from portal.accounts.visibility import with_object_perm
from portal.cases.access import READ_OPERATOR_FINDINGS, get_case_or_404
from portal.cases.models import (
    CaseStatus,
    Submission,
    SubmissionGroupObjectPermission,
    SubmissionUserObjectPermission,
)
from portal.discussions.models import Marking, Thread


def get_thread_or_404(user, pk) -> Thread:
    """A thread this person reads; 404 alike for missing and not theirs."""
    thread = (
        Thread.objects.visible_to(user)
        .select_related("case", "agency", "organization")
        .filter(pk=pk)
        .first()
    )
    if thread is None:
        raise Http404("No such thread.")
    return thread


def get_discussion_case_or_404(user, pk) -> Submission:
    """A case whose discussions this person may open.

    Agency staff and the developer: a case they see (``get_case_or_404``).
    Operators see no case page; theirs are the cases their organization holds
    a live grant on, or has a thread addressed to it on.
    """
    membership = getattr(user, "membership", None)
    if membership is not None and membership.role in Membership.OPERATOR_ROLES:
        live = operator_cases(user).values("pk")
        addressed = Thread.objects.visible_to(user).values("case_id")
        case = (
            Submission.objects.filter(pk=pk)
            .filter(Q(pk__in=live) | Q(pk__in=addressed))
            .select_related("developer")
            .first()
        )
        if case is None:
            raise Http404("No such case.")
        return case
    case = get_case_or_404(user, pk, queryset=Submission.objects.select_related("developer"))
    if case.is_draft:
        raise Http404("No such case.")
    return case


def operator_cases(user) -> QuerySet[Submission]:
    """The cases this operator's organization holds a live grant on (the permission
    a grant gives and its revocation or expiry takes back)."""
    return with_object_perm(
        Submission.objects.all(),
        user,
        READ_OPERATOR_FINDINGS.split(".")[1],
        SubmissionUserObjectPermission,
        SubmissionGroupObjectPermission,
    )


def granted_operators(case) -> QuerySet[Organization]:
    """The operator organizations holding a live grant on the case."""
    groups = SubmissionGroupObjectPermission.objects.filter(
        content_object=case, permission__codename=READ_OPERATOR_FINDINGS.split(".")[1]
    ).values("group_id")
    return Organization.objects.filter(
        kind=Organization.Kind.OPERATOR, group_id__in=groups
    ).order_by("name")


def agency_on_case(user, case) -> bool:
    """Whether agency staff see ``case`` and it is routed to their agency: one query.

    Exactly the cases whose threads ``Thread.objects.visible_to`` opens to them;
    ``Thread.objects.visible_on_case`` takes the answer.
    """
    membership = getattr(user, "membership", None)
    if membership is None or membership.agency_id is None:
        return False
    return (
        Submission.objects.visible_to(user)
        .filter(pk=case.pk, routings__agency_id=membership.agency_id)
        .exists()
    )


def startable_markings(user, case, *, on_case: bool | None = None) -> list[str]:
    """The markings this person may start a thread with on ``case``, narrowest first.

    ``on_case``: ``agency_on_case`` for agency staff, when the caller asked already.
    """
    membership = getattr(user, "membership", None)
    if membership is None or case.status == CaseStatus.DRAFT:
        return []
    if membership.agency_id is not None:
        if not (agency_on_case(user, case) if on_case is None else on_case):
            return []
        markings: list[str] = [Marking.AGENCY_ONLY, Marking.INTERAGENCY]
        if membership.role == Membership.Role.COORDINATOR:
            markings += [Marking.DEVELOPER, Marking.OPERATOR]
        return markings
    if membership.role in Membership.DEVELOPER_ROLES:
        return [Marking.DEVELOPER] if case.developer_id == membership.organization_id else []
    if membership.role in Membership.OPERATOR_ROLES:
        return [Marking.OPERATOR] if operator_cases(user).filter(pk=case.pk).exists() else []
    return []
