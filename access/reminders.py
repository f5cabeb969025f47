"""Grant reminders, found by the portal's deadline sweep: access ending, and access ended.

Sources only read. Closing an ended grant is its own periodic work
(``access.services.expire_grants``); the "grant_expired" source then finds
each closed grant that ended in the last week, and the sweep tells the operator,
exactly once. A nomination that lapsed never gave the operator access and is
not announced. Revocation needs neither: it removes the permissions at once
and tells the operator itself.
"""

from datetime import timedelta

from django.urls import reverse_lazy
from django.utils import timezone

from access.models import AccessGrant
from portal.accounts.selectors import (
    developer_people_by_organization,
    security_teams_by_organization,
)
from portal.core.days import day_count, days_until
from portal.core.hooks import Reminder, reminder_source
from portal.notifications.sweep import nearest_threshold

ENDING_DAYS = (7, 1)
# A grant that ended longer ago than this is not announced any more (a sweep
# or an expiry that was down for weeks does not send stale news).
EXPIRED_NOTICE_WINDOW = timedelta(days=7)


def _grants_still(reminders, status) -> set[int]:
    """Which of the reminders' grants are still in ``status`` when they go out (one query)."""
    return set(
        AccessGrant.objects.filter(
            pk__in=[r.subject.pk for r in reminders], status=status
        ).values_list("pk", flat=True)
    )


def _grant_ending_recipients(reminders) -> list[list]:
    """While the grant is active: the operator's security team, or the developer's
    people, as the reminder's audience says (its threshold ends in ``:operator``
    or ``:developer``)."""
    active = _grants_still(reminders, AccessGrant.Status.ACTIVE)
    live = [r for r in reminders if r.subject.pk in active]
    teams = security_teams_by_organization(r.subject.operator_id for r in live)
    developers = developer_people_by_organization(r.subject.case.developer_id for r in live)

    def people(reminder):
        if reminder.subject.pk not in active:
            return []
        if reminder.threshold.endswith(":operator"):
            return teams.get(reminder.subject.operator_id, [])
        return developers.get(reminder.subject.case.developer_id, [])

    return [people(r) for r in reminders]


def _grant_expired_recipients(reminders) -> list[list]:
    """The operator's security team, while the grant is still closed as expired."""
    expired = _grants_still(reminders, AccessGrant.Status.EXPIRED)
    teams = security_teams_by_organization(
        r.subject.operator_id for r in reminders if r.subject.pk in expired
    )
    return [
        teams.get(r.subject.operator_id, []) if r.subject.pk in expired else [] for r in reminders
    ]


@reminder_source(
    "grant_ending",
    "pre-public access ending in 7 and 1 days (operator, developer)",
    recipients_in_bulk=_grant_ending_recipients,
)
def grants_ending(at):
    today = timezone.localdate(at)
    grants = AccessGrant.objects.filter(
        status=AccessGrant.Status.ACTIVE,
        ends_at__gt=at,
        ends_at__lt=at + timedelta(days=max(ENDING_DAYS) + 1),
    ).select_related("case", "case__developer", "operator")
    for access_grant in grants.iterator(chunk_size=500):
        days_left = days_until(access_grant.ends_at, now=today)
        threshold = nearest_threshold(days_left, ENDING_DAYS)
        if threshold is None:
            continue
        case = access_grant.case
        title = f"Access of {access_grant.operator} to {case.number} ends in {day_count(days_left)}"
        context = {"grant": access_grant, "case": case, "days_left": days_left}
        # One reminder per audience: each goes to a page its readers can open.
        audiences = [
            ("operator", reverse_lazy("access:grant_detail", args=[access_grant.pk])),
            (
                "developer",
                reverse_lazy("portal:case_section", args=[case.pk, "access"]),
            ),
        ]
        for audience, url in audiences:
            yield Reminder(
                kind="grant_ending",
                subject=access_grant,
                threshold=f"ending-{threshold}:{audience}",
                title=title,
                template="access/reminders/grant_ending.txt",
                context=context,
                case=case,
                url=url,
            )


@reminder_source(
    "grant_expired",
    "pre-public access ended: grant closed (operator)",
    recipients_in_bulk=_grant_expired_recipients,
)
def expired_grants(at):
    grants = AccessGrant.objects.filter(
        status=AccessGrant.Status.EXPIRED,
        granted_at__isnull=False,  # a nomination that lapsed never gave the operator access
        ends_at__lte=at,
        ends_at__gt=at - EXPIRED_NOTICE_WINDOW,
    ).select_related("case", "case__developer", "operator")
    for access_grant in grants.iterator(chunk_size=500):
        case = access_grant.case
        yield Reminder(
            kind="grant_expired",
            subject=access_grant,
            threshold="expired",
            title=f"Access to {case.title} ({case.developer}) has ended",
            template="access/reminders/grant_expired.txt",
            context={"grant": access_grant, "case": case},
            case=None,
            url=reverse_lazy("access:report_create", args=[access_grant.pk]),
        )
