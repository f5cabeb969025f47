"""Grants follow the release: a moved release moves the ends that followed it, and the
actual release ends every open grant at its day.

``access`` hears of both through ``portal.core.hooks`` (``release_date_changed``,
``case_released``): the cases app knows nothing of grants.
"""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from access import services as access_services
from access.models import AccessGrant
from portal.audit.models import AuditEvent
from portal.cases.services import lifecycle as case_services
from portal.cases.services import release_dates
from portal.notifications.models import Notification

TODAY = timezone.localdate


def start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


@pytest.fixture
def chosen_end_grant(submitter, granted_case, other_bank):
    """A grant whose end the developer chose: ten days from now, not the release."""
    return access_services.grant_access(
        actor=submitter,
        case_id=granted_case.pk,
        operator=other_bank,
        ends_at=timezone.now() + timedelta(days=10),
    )


def test_a_new_grant_follows_the_release_unless_its_end_was_chosen(grant, chosen_end_grant):
    assert grant.ends_with_release
    assert grant.ends_at == start_of(grant.case.planned_release_date)
    assert not chosen_end_grant.ends_with_release


def test_an_end_given_as_the_release_day_follows_it(submitter, granted_case, other_bank):
    given = access_services.grant_access(
        actor=submitter,
        case_id=granted_case.pk,
        operator=other_bank,
        ends_at=start_of(granted_case.planned_release_date),
    )
    assert given.ends_with_release


def test_moving_the_release_moves_the_following_grants_only(
    submitter, granted_case, grant, chosen_end_grant, operator
):
    chosen_end = chosen_end_grant.ends_at
    later = granted_case.planned_release_date + timedelta(days=30)

    release_dates.change_release_date(
        actor=submitter,
        case_id=granted_case.pk,
        planned_release_date=later,
        reason="Launch moved.",
    )

    grant.refresh_from_db()
    chosen_end_grant.refresh_from_db()
    assert grant.ends_at == start_of(later)
    assert chosen_end_grant.ends_at == chosen_end
    moved = AuditEvent.objects.for_target(grant).get(action="access.end_moved")
    assert moved.actor == submitter
    assert moved.details["why"] == "release date moved"
    assert (
        not AuditEvent.objects.for_target(chosen_end_grant)
        .filter(action="access.end_moved")
        .exists()
    )
    told = Notification.objects.get(recipient=operator, title__contains="now ends")
    assert f"{later:%B %-d, %Y}" in told.title


def test_a_release_moved_to_today_ends_a_following_grant_at_the_next_expiry(
    submitter, granted_case, grant
):
    release_dates.change_release_date(
        actor=submitter,
        case_id=granted_case.pk,
        planned_release_date=TODAY(),
        reason="Shipping today.",
    )
    grant.refresh_from_db()
    # Never an empty window: just after it started, so it is over.
    assert grant.starts_at < grant.ends_at <= timezone.now()
    assert access_services.expire_grants() == 1


def test_marking_the_release_ends_every_open_grant_at_its_day(
    submitter, granted_case, grant, chosen_end_grant, coordinator, bank
):
    nomination_case = granted_case
    case_services.start_review(actor=coordinator, case_id=nomination_case.pk)

    case_services.mark_released(actor=submitter, case_id=granted_case.pk, released_on=TODAY())

    for access_grant in (grant, chosen_end_grant):
        access_grant.refresh_from_db()
        assert access_grant.status == AccessGrant.Status.EXPIRED
        assert access_grant.ends_at <= max(
            start_of(TODAY()), access_grant.starts_at + timedelta(seconds=1)
        )
        assert not access_grant.is_live()
        assert AuditEvent.objects.for_target(access_grant).filter(action="access.expired").exists()
    granted_case.refresh_from_db()
    assert granted_case.released_before_recommendation


def test_a_refused_release_leaves_the_grants_alone(submitter, granted_case, grant):
    ends_at = grant.ends_at
    with pytest.raises(case_services.CaseActionRefused):
        case_services.mark_released(
            actor=submitter, case_id=granted_case.pk, released_on=TODAY() + timedelta(days=1)
        )
    grant.refresh_from_db()
    assert (grant.status, grant.ends_at) == (AccessGrant.Status.ACTIVE, ends_at)


def test_the_migration_keeps_existing_grants_on_the_release_only_where_they_ended_there(
    grant, chosen_end_grant
):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("access.migrations.0002_grant_ends_with_release")
    AccessGrant.objects.update(ends_with_release=True)  # as the new column starts

    migration.mark_chosen_ends(apps, None)

    following = dict(AccessGrant.objects.values_list("pk", "ends_with_release"))
    assert following == {grant.pk: True, chosen_end_grant.pk: False}
