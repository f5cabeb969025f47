"""Following cases: a newly routed agency sees the case's existing grants; grants
that end with the release move when the developer moves it, and every open
grant ends at the day the model actually became public."""

from django.dispatch import receiver

from access import services
from access.models import AccessGrant
from portal.accounts.permissions import grant
from portal.core.hooks import case_released, case_routed, release_date_changed


@receiver(case_routed)
def share_grants_with_new_agency(sender, case, agency, actor, **kwargs):
    for access_grant in AccessGrant.objects.filter(case=case):
        grant("access.view_accessgrant", agency.coordinators_group, access_grant)


@receiver(release_date_changed)
def move_grant_ends_with_release(sender, case, previous, actor, **kwargs):
    services.follow_release_date(case=case, actor=actor)


@receiver(case_released)
def end_grants_at_release(sender, case, actor, **kwargs):
    services.end_grants_at_release(case=case, actor=actor)
