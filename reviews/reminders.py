"""Deadline reminders for review work, found by the portal's deadline sweep.

Each source picks, per item, the nearest threshold reached as of ``at`` and
leaves the sending (claimed exactly once) to ``portal.notifications.sweep``.
"""

from datetime import timedelta
from functools import partial

from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Prefetch
from django.urls import reverse
from django.utils import timezone

from portal.accounts.selectors import agency_coordinators, developer_people
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


def _still_assigned(assignment_id):
    """The reviewer, if the assignment is still theirs (and the case still under
    review) when the reminder goes out."""

    def people():
        return User.objects.filter(
            is_active=True,
            assignments__pk=assignment_id,
            assignments__status=Assignment.Status.ACCEPTED,
            assignments__case__status__in=UNDECIDED,
        )

    return people


def _developer_people_while_open(request_id, case):
    def people():
        still_open = InformationRequest.objects.filter(
            pk=request_id, status=InformationRequest.Status.OPEN, case__status__in=UNDECIDED
        ).exists()
        return list(developer_people(case.developer_id)) if still_open else []

    return people


def _workspace(case) -> str:
    return reverse("reviews:workspace", args=[case.pk])


@reminder_source("assignment_due", "assignment due soon (reviewer)")
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
            recipients=_still_assigned(assignment.pk),
            title=f"Your review of {case.number} is due in {day_count(days_left)}",
            template="reminders/assignment_due.txt",
            context={"assignment": assignment, "case": case, "days_left": days_left},
            case=case,
            url=_workspace(case),
        )


@reminder_source("assignment_overdue", "assignment overdue (reviewer and coordinators)")
def assignments_overdue(at):
    today = timezone.localdate(at)
    assignments = Assignment.objects.filter(
        status=Assignment.Status.ACCEPTED, case__status__in=UNDECIDED, due_date__lt=today
    ).select_related("case", "case__developer")
    for assignment in assignments.iterator(chunk_size=500):
        days_overdue = -days_until(assignment.due_date, now=today)
        week = (days_overdue - 1) // OVERDUE_REPEAT_DAYS
        case = assignment.case
        reviewer = _still_assigned(assignment.pk)
        coordinators = partial(agency_coordinators, [assignment.agency_id])
        yield Reminder(
            kind="assignment_overdue",
            subject=assignment,
            threshold=f"overdue-week-{week}",
            deadline=assignment.due_date,
            recipients=lambda r=reviewer, c=coordinators: [*r(), *c()],
            title=f"Review of {case.number} is {day_count(days_overdue)} overdue",
            template="reminders/assignment_overdue.txt",
            context={"assignment": assignment, "case": case, "days_overdue": days_overdue},
            case=case,
            url=_workspace(case),
        )


@reminder_source("invitation_unanswered", "invitation not answered (coordinators)")
def invitations_unanswered(at):
    assignments = Assignment.objects.filter(
        status=Assignment.Status.INVITED,
        case__status__in=UNDECIDED,
        invited_at__lte=at - timedelta(days=INVITATION_STALE_DAYS),
    ).select_related("case", "case__developer", "reviewer")
    for assignment in assignments.iterator(chunk_size=500):
        case = assignment.case

        def people(a=assignment):
            still_invited = Assignment.objects.filter(
                pk=a.pk, status=Assignment.Status.INVITED, case__status__in=UNDECIDED
            ).exists()
            return list(agency_coordinators([a.agency_id])) if still_invited else []

        yield Reminder(
            kind="invitation_unanswered",
            subject=assignment,
            threshold=f"after-{INVITATION_STALE_DAYS}-days",
            recipients=people,
            title=f"{assignment.reviewer.display_name()} has not answered the invitation "
            f"to {case.number}",
            template="reminders/invitation_unanswered.txt",
            context={"assignment": assignment, "case": case},
            case=case,
            url=_workspace(case),
        )


@reminder_source("request_due", "information request answer due or overdue (developer)")
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
            recipients=_developer_people_while_open(request.pk, case),
            title=title,
            template="reminders/request_due.txt",
            context={"request": request, "case": case, "days_left": days_left},
            case=case,
            url=reverse("portal:case_section", args=[case.pk, "review"]),
        )


def _no_recommendation(case_id):
    return Submission.objects.filter(pk=case_id, status__in=UNDECIDED).exists()


# Each case's agencies, fetched for a chunk of cases at once.
_ROUTINGS = Prefetch("routings", queryset=CaseRouting.objects.only("case_id", "agency_id"))


@reminder_source("case_due", "review period ending without a recommendation (coordinators)")
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
        agencies = [routing.agency_id for routing in case.routings.all()]

        def people(c=case, a=agencies):
            return list(agency_coordinators(a)) if _no_recommendation(c.pk) else []

        yield Reminder(
            kind="case_due",
            subject=case,
            threshold=f"due-{nearest_threshold(days_left, CASE_DUE_DAYS)}",
            deadline=case.review_due,
            recipients=people,
            title=f"The review of {case.number} is due in {day_count(days_left)}, "
            "with no recommendation yet",
            template="reminders/case_due.txt",
            context={"case": case, "days_left": days_left},
            case=case,
            url=_workspace(case),
        )


@reminder_source("release_soon", "planned release within a week, no recommendation (coordinators)")
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
        agencies = [routing.agency_id for routing in case.routings.all()]

        def people(c=case, a=agencies):
            return list(agency_coordinators(a)) if _no_recommendation(c.pk) else []

        yield Reminder(
            kind="release_soon",
            subject=case,
            threshold=f"release-{RELEASE_SOON_DAYS}",
            deadline=case.planned_release_date,
            recipients=people,
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


def _still_without_position(routing_id):
    """The routing's agency's coordinators, if it still owes a position when the reminder goes."""

    def people():
        owes = (
            CaseRouting.objects.filter(
                pk=routing_id,
                case__status__in=UNDECIDED,
                case__recommendation__issued_at__isnull=True,
            )
            .exclude(agency_id=F("case__lead_agency_id"))
            .exclude(_has_position())
        )
        routing = owes.first()
        return list(agency_coordinators([routing.agency_id])) if routing else []

    return people


@reminder_source("position_due", "agency position due on the draft recommendation (coordinators)")
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
            recipients=_still_without_position(routing.pk),
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
            url=reverse("reviews:case_recommendation", args=[case.pk]),
        )


@reminder_source(
    "positions_deadline_passed", "positions' deadline passed, recommendation not issued (lead)"
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

        def people(r=recommendation):
            current = (
                Recommendation.objects.filter(pk=r.pk, issued_at__isnull=True)
                .select_related("case")
                .first()
            )
            return list(agency_coordinators([current.case.lead_agency_id])) if current else []

        yield Reminder(
            kind="positions_deadline_passed",
            subject=recommendation,
            threshold="passed",
            deadline=recommendation.response_deadline,
            recipients=people,
            title=f"The deadline for positions on {case.number} has passed: "
            "the recommendation can be issued",
            template="reminders/positions_deadline_passed.txt",
            context={"case": case, "deadline": recommendation.response_deadline},
            case=case,
            url=reverse("reviews:case_recommendation", args=[case.pk]),
        )
