"""Deadline reminders for review work, found by the portal's deadline sweep.

Each source picks, per item, the nearest threshold reached as of ``at`` and
leaves the sending (claimed exactly once) to ``portal.notifications.sweep``.
Who is told is resolved when the reminders go out, for a batch of them at a
time (``recipients_in_bulk``): each source's rule — still assigned, still
invited, still open, still without a recommendation or a position — is one
query for the batch, and the people of the agencies or organizations one more.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Prefetch
from django.urls import reverse_lazy
from django.utils import timezone

from portal.accounts.selectors import coordinators_by_agency, developer_people_by_organization
from portal.cases.models import CaseRouting, CaseStatus, Submission
from portal.core.days import day_count, days_until
from portal.core.hooks import Reminder, reminder_source
from portal.notifications.sweep import nearest_threshold
from reviews.models import AgencyPosition, Assignment, InformationRequest, Recommendation

ASSIGNMENT_DUE_DAYS = (14, 7, 3, 1)
OVERDUE_REPEAT_DAYS = 7
INVITATION_STALE_DAYS = 3
REQUEST_DUE_DAYS = (7, 2)
CASE_DUE_DAYS = (14, 3)
RELEASE_SOON_DAYS = 7
POSITION_DUE_DAYS = (7, 2)
UNDECIDED = (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW, CaseStatus.INFO_REQUESTED)

User = get_user_model()


def _pks(reminders) -> list[int]:
    return [reminder.subject.pk for reminder in reminders]


def _reviewers_still_assigned(reminders) -> dict[int, list]:
    """Each assignment's reviewer, if it is still theirs (and the case still under
    review) when the reminder goes out: {assignment id: [reviewer]}."""
    assignments = Assignment.objects.filter(
        pk__in=_pks(reminders),
        status=Assignment.Status.ACCEPTED,
        case__status__in=UNDECIDED,
        reviewer__is_active=True,
    ).select_related("reviewer")
    return {assignment.pk: [assignment.reviewer] for assignment in assignments}


def _coordinators_of(reminders, agency_of, still) -> list[list]:
    """The coordinators of each reminder's agency (``agency_of(reminder)``), for the
    reminders whose subject is in ``still``; nobody for the others."""
    coordinators = coordinators_by_agency(
        agency_of(r) for r in reminders if r.subject.pk in still and agency_of(r)
    )
    return [coordinators.get(agency_of(r), []) if r.subject.pk in still else [] for r in reminders]


# Lazy: a URL is only worked out for a reminder that is sent, not for each one a
# re-run finds already sent.
def _workspace(case):
    return reverse_lazy("reviews:workspace", args=[case.pk])


def _reviewers(case):
    """The workspace's reviewers section: where an assignment's due date and invitation
    are managed."""
    return reverse_lazy("reviews:case_reviewers", args=[case.pk])


def _assignment_due_recipients(reminders) -> list[list]:
    reviewers = _reviewers_still_assigned(reminders)
    return [reviewers.get(r.subject.pk, []) for r in reminders]


@reminder_source(
    "assignment_due",
    "assignment due soon (reviewer)",
    recipients_in_bulk=_assignment_due_recipients,
)
def assignments_due(at):
    today = timezone.localdate(at)
    # Work on a withdrawn or decided case is over, even if nobody closed the assignment.
    assignments = Assignment.objects.filter(
        status=Assignment.Status.ACCEPTED,
        case__status__in=UNDECIDED,
        due_date__gte=today,
        due_date__lte=today + timedelta(days=max(ASSIGNMENT_DUE_DAYS)),
    ).select_related("case", "case__developer")
    for assignment in assignments.iterator(chunk_size=500):
        days_left = days_until(assignment.due_date, now=today)
        threshold = nearest_threshold(days_left, ASSIGNMENT_DUE_DAYS)
        case = assignment.case
        yield Reminder(
            kind="assignment_due",
            subject=assignment,
            threshold=f"due-{threshold}",
            deadline=assignment.due_date,
            title=f"Your review of {case.number} is due in {day_count(days_left)}",
            template="reminders/assignment_due.txt",
            context={"assignment": assignment, "case": case, "days_left": days_left},
            case=case,
            url=_workspace(case),
        )


def _assignment_overdue_recipients(reminders) -> list[list]:
    """The reviewer while still assigned, and their agency's coordinators."""
    reviewers = _reviewers_still_assigned(reminders)
    coordinators = coordinators_by_agency(r.subject.agency_id for r in reminders)
    return [
        [*reviewers.get(r.subject.pk, []), *coordinators.get(r.subject.agency_id, [])]
        for r in reminders
    ]


@reminder_source(
    "assignment_overdue",
    "assignment overdue (reviewer and coordinators)",
    recipients_in_bulk=_assignment_overdue_recipients,
)
def assignments_overdue(at):
    today = timezone.localdate(at)
    assignments = Assignment.objects.filter(
        status=Assignment.Status.ACCEPTED, case__status__in=UNDECIDED, due_date__lt=today
    ).select_related("case", "case__developer", "reviewer")
    for assignment in assignments.iterator(chunk_size=500):
        days_overdue = -days_until(assignment.due_date, now=today)
        week = (days_overdue - 1) // OVERDUE_REPEAT_DAYS
        case = assignment.case
        yield Reminder(
            kind="assignment_overdue",
            subject=assignment,
            threshold=f"overdue-week-{week}",
            deadline=assignment.due_date,
            title=f"Review of {case.number} is {day_count(days_overdue)} overdue",
            template="reminders/assignment_overdue.txt",
            context={"assignment": assignment, "case": case, "days_overdue": days_overdue},
            case=case,
            url=_reviewers(case),
        )


def _invitation_recipients(reminders) -> list[list]:
    """The agency's coordinators, while the invitation is still unanswered."""
    still_invited = set(
        Assignment.objects.filter(
            pk__in=_pks(reminders),
            status=Assignment.Status.INVITED,
            case__status__in=UNDECIDED,
        ).values_list("pk", flat=True)
    )
    return _coordinators_of(reminders, lambda r: r.subject.agency_id, still_invited)


@reminder_source(
    "invitation_unanswered",
    "invitation not answered (coordinators)",
    recipients_in_bulk=_invitation_recipients,
)
def invitations_unanswered(at):
    assignments = Assignment.objects.filter(
        status=Assignment.Status.INVITED,
        case__status__in=UNDECIDED,
        invited_at__lte=at - timedelta(days=INVITATION_STALE_DAYS),
    ).select_related("case", "case__developer", "reviewer")
    for assignment in assignments.iterator(chunk_size=500):
        case = assignment.case
        yield Reminder(
            kind="invitation_unanswered",
            subject=assignment,
            threshold=f"after-{INVITATION_STALE_DAYS}-days",
            title=f"{assignment.reviewer.display_name()} has not answered the invitation "
            f"to {case.number}",
            template="reminders/invitation_unanswered.txt",
            context={"assignment": assignment, "case": case},
            case=case,
            url=_reviewers(case),
        )


def _request_recipients(reminders) -> list[list]:
    """The developer's people, while the request is still open on an undecided case."""
    still_open = set(
        InformationRequest.objects.filter(
            pk__in=_pks(reminders),
            status=InformationRequest.Status.OPEN,
            case__status__in=UNDECIDED,
        ).values_list("pk", flat=True)
    )
    people = developer_people_by_organization(
        r.subject.case.developer_id for r in reminders if r.subject.pk in still_open
    )
    return [
        people.get(r.subject.case.developer_id, []) if r.subject.pk in still_open else []
        for r in reminders
    ]


@reminder_source(
    "request_due",
    "information request answer due or overdue (developer)",
    recipients_in_bulk=_request_recipients,
)
def requests_due(at):
    today = timezone.localdate(at)
    requests = InformationRequest.objects.filter(
        status=InformationRequest.Status.OPEN,
        # Withdrawing a case leaves its requests open; nobody owes an answer then.
        case__status__in=UNDECIDED,
        response_due__lte=today + timedelta(days=max(REQUEST_DUE_DAYS)),
    ).select_related("case", "case__developer")
    for request in requests.iterator(chunk_size=500):
        days_left = days_until(request.response_due, now=today)
        case = request.case
        if days_left < 0:
            threshold, title = (
                "overdue",
                f"Your answer to the reviewers of {case.number} is overdue",
            )
        else:
            threshold = f"due-{nearest_threshold(days_left, REQUEST_DUE_DAYS)}"
            title = f"The reviewers of {case.number} expect your answer in {day_count(days_left)}"
        yield Reminder(
            kind="request_due",
            subject=request,
            threshold=threshold,
            deadline=request.response_due,
            title=title,
            template="reminders/request_due.txt",
            context={"request": request, "case": case, "days_left": days_left},
            case=case,
            url=reverse_lazy("portal:case_section", args=[case.pk, "review"]),
        )


def _coordinators_while_undecided(reminders) -> list[list]:
    """The coordinators of every agency the case is routed to, while it has no
    recommendation (the routings are prefetched with the case)."""
    undecided = set(
        Submission.objects.filter(pk__in=_pks(reminders), status__in=UNDECIDED).values_list(
            "pk", flat=True
        )
    )
    agencies = {
        r.subject.pk: [routing.agency_id for routing in r.subject.routings.all()] for r in reminders
    }
    coordinators = coordinators_by_agency(
        agency for pk in undecided for agency in agencies.get(pk, [])
    )
    return [
        [person for agency in agencies[r.subject.pk] for person in coordinators.get(agency, [])]
        if r.subject.pk in undecided
        else []
        for r in reminders
    ]


# Each case's agencies, fetched for a chunk of cases at once.
_ROUTINGS = Prefetch("routings", queryset=CaseRouting.objects.only("case_id", "agency_id"))


@reminder_source(
    "case_due",
    "review period ending without a recommendation (coordinators)",
    recipients_in_bulk=_coordinators_while_undecided,
)
def cases_due(at):
    today = timezone.localdate(at)
    # A paused clock is not running out: while a request is open the stored due
    # date leaves the pause out, and the real one moves a day later every day.
    cases = (
        Submission.objects.filter(
            status__in=UNDECIDED,
            clock_paused=False,
            review_due__gte=today,
            review_due__lte=today + timedelta(days=max(CASE_DUE_DAYS)),
        )
        .select_related("developer")
        .prefetch_related(_ROUTINGS)
    )
    for case in cases.iterator(chunk_size=500):
        days_left = days_until(case.review_due, now=today)
        yield Reminder(
            kind="case_due",
            subject=case,
            threshold=f"due-{nearest_threshold(days_left, CASE_DUE_DAYS)}",
            deadline=case.review_due,
            title=f"The review of {case.number} is due in {day_count(days_left)}, "
            "with no recommendation yet",
            template="reminders/case_due.txt",
            context={"case": case, "days_left": days_left},
            case=case,
            url=_workspace(case),
        )


@reminder_source(
    "release_soon",
    "planned release within a week, no recommendation (coordinators)",
    recipients_in_bulk=_coordinators_while_undecided,
)
def releases_soon(at):
    today = timezone.localdate(at)
    cases = (
        Submission.objects.filter(
            status__in=UNDECIDED,
            planned_release_date__gte=today,
            planned_release_date__lte=today + timedelta(days=RELEASE_SOON_DAYS),
        )
        .select_related("developer")
        .prefetch_related(_ROUTINGS)
    )
    for case in cases.iterator(chunk_size=500):
        days_left = days_until(case.planned_release_date, now=today)
        yield Reminder(
            kind="release_soon",
            subject=case,
            threshold=f"release-{RELEASE_SOON_DAYS}",
            deadline=case.planned_release_date,
            title=f"{case.number} is planned for public release in {day_count(days_left)}, "
            "with no recommendation issued",
            template="reminders/release_soon.txt",
            context={"case": case, "days_left": days_left},
            case=case,
            url=_workspace(case),
        )


def _has_position():
    return Exists(
        AgencyPosition.objects.filter(case_id=OuterRef("case_id"), agency_id=OuterRef("agency_id"))
    )


def _position_recipients(reminders) -> list[list]:
    """The routing's agency's coordinators, while it still owes a position."""
    owing = set(
        CaseRouting.objects.filter(
            pk__in=_pks(reminders),
            case__status__in=UNDECIDED,
            case__recommendation__issued_at__isnull=True,
        )
        .exclude(agency_id=F("case__lead_agency_id"))
        .exclude(_has_position())
        .values_list("pk", flat=True)
    )
    return _coordinators_of(reminders, lambda r: r.subject.agency_id, owing)


@reminder_source(
    "position_due",
    "agency position due on the draft recommendation (coordinators)",
    recipients_in_bulk=_position_recipients,
)
def positions_due(at):
    today = timezone.localdate(at)
    # Each participating agency without a position, on a draft with a deadline coming up.
    routings = (
        CaseRouting.objects.filter(
            case__status__in=UNDECIDED,
            case__recommendation__issued_at__isnull=True,
            case__recommendation__response_deadline__gte=today,
            case__recommendation__response_deadline__lte=today
            + timedelta(days=max(POSITION_DUE_DAYS)),
        )
        .exclude(agency_id=F("case__lead_agency_id"))
        .exclude(_has_position())
        .select_related("agency", "case", "case__developer", "case__lead_agency")
        .annotate(deadline=F("case__recommendation__response_deadline"))
    )
    for routing in routings.iterator(chunk_size=500):
        case = routing.case
        days_left = days_until(routing.deadline, now=today)
        yield Reminder(
            kind="position_due",
            subject=routing,
            threshold=f"due-{nearest_threshold(days_left, POSITION_DUE_DAYS)}",
            deadline=routing.deadline,
            title=f"{routing.agency.acronym}'s position on {case.number} is due in "
            f"{day_count(days_left)}",
            template="reminders/position_due.txt",
            context={
                "case": case,
                "agency": routing.agency.acronym,
                "lead": case.lead_agency.acronym if case.lead_agency else "The lead agency",
                "deadline": routing.deadline,
                "days_left": days_left,
            },
            case=case,
            url=reverse_lazy("reviews:case_recommendation", args=[case.pk]),
        )


def _lead_recipients(reminders) -> list[list]:
    """The lead agency's coordinators, while the recommendation is not issued."""
    leads = dict(
        Recommendation.objects.filter(pk__in=_pks(reminders), issued_at__isnull=True).values_list(
            "pk", "case__lead_agency_id"
        )
    )
    return _coordinators_of(reminders, lambda r: leads.get(r.subject.pk), set(leads))


@reminder_source(
    "positions_deadline_passed",
    "positions' deadline passed, recommendation not issued (lead)",
    recipients_in_bulk=_lead_recipients,
)
def positions_deadline_passed(at):
    today = timezone.localdate(at)
    silent = (
        CaseRouting.objects.filter(case_id=OuterRef("case_id"))
        .exclude(agency_id=OuterRef("case__lead_agency_id"))
        .exclude(_has_position())
    )
    recommendations = (
        Recommendation.objects.filter(
            issued_at__isnull=True,
            case__status__in=UNDECIDED,
            response_deadline__lt=today,
        )
        .filter(Exists(silent))
        .select_related("case", "case__developer")
    )
    for recommendation in recommendations.iterator(chunk_size=500):
        case = recommendation.case
        yield Reminder(
            kind="positions_deadline_passed",
            subject=recommendation,
            threshold="passed",
            deadline=recommendation.response_deadline,
            title=f"The deadline for positions on {case.number} has passed: "
            "the recommendation can be issued",
            template="reminders/positions_deadline_passed.txt",
            context={"case": case, "deadline": recommendation.response_deadline},
            case=case,
            url=reverse_lazy("reviews:case_recommendation", args=[case.pk]),
        )
