"""Grant reminders, found by the portal's deadline sweep: access ending, and access ended.

Sources only read. Closing an ended grant is its own periodic work
(``access.services.expire_grants``); the "grant_expired" source then finds
each closed grant that ended in the last week, and the sweep tells the operator,
exactly once. A nomination that lapsed never gave the operator access and is
not announced. Revocation needs neither: it removes the permissions at once
and tells the operator itself.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from access.models import AccessGrant
from portal.accounts.selectors import developer_people, security_team
from portal.core.days import day_count, days_until
from portal.core.hooks import Reminder, reminder_source
from portal.notifications.sweep import nearest_threshold

ENDING_DAYS = (7, 1)
# A grant that ended longer ago than this is not announced any more (a sweep
# or an expiry that was down for weeks does not send stale news).
EXPIRED_NOTICE_WINDOW = timedelta(days=7)


def _while_status(grant_id, status, people):
    """The people, if the grant is still in ``status`` when the reminder goes out."""

    def recipients():
        if not AccessGrant.objects.filter(pk=grant_id, status=status).exists():
            return []
        return list(people())

    return recipients


@reminder_source("grant_ending", "pre-public access ending in 7 and 1 days (operator, developer)")
def grants_ending(at):
    today = timezone.localdate(at)
    grants = AccessGrant.objects.filter(
        status=AccessGrant.Status.ACTIVE,
        ends_at__gt=at,
        ends_at__lt=at + timedelta(days=max(ENDING_DAYS) + 1),
    ).select_related("case", "operator")
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
            (
                "operator",
                lambda g=access_grant: security_team(g.operator_id),
                reverse("access:grant_detail", args=[access_grant.pk]),
            ),
            (
                "developer",
                lambda c=case: developer_people(c.developer_id),
                reverse("portal:case_section", args=[case.pk, "access"]),
            ),
        ]
        for audience, people, url in audiences:
            yield Reminder(
                kind="grant_ending",
                subject=access_grant,
                threshold=f"ending-{threshold}:{audience}",
                recipients=_while_status(access_grant.pk, AccessGrant.Status.ACTIVE, people),
                title=title,
                template="access/reminders/grant_ending.txt",
                context=context,
                case=case,
                url=url,
            )


@reminder_source("grant_expired", "pre-public access ended: grant closed (operator)")
def expired_grants(at):
    grants = AccessGrant.objects.filter(
        status=AccessGrant.Status.EXPIRED,
        granted_at__isnull=False,  # a nomination that lapsed never gave the operator access
        ends_at__lte=at,
        ends_at__gt=at - EXPIRED_NOTICE_WINDOW,
    ).select_related("case", "operator")
    for access_grant in grants.iterator(chunk_size=500):
        case = access_grant.case
        yield Reminder(
            kind="grant_expired",
            subject=access_grant,
            threshold="expired",
            recipients=_while_status(
                access_grant.pk,
                AccessGrant.Status.EXPIRED,
                lambda g=access_grant: security_team(g.operator_id),
            ),
            title=f"Access to {case.title} ({case.developer}) has ended",
            template="access/reminders/grant_expired.txt",
            context={"grant": access_grant, "case": case},
            case=None,
            url=reverse("access:report_create", args=[access_grant.pk]),
        )
