"""Following cases: a newly routed agency sees the case's existing grants."""

from django.dispatch import receiver

from access.models import AccessGrant
from portal.accounts.permissions import grant
from portal.core.hooks import case_routed


@receiver(case_routed)
def share_grants_with_new_agency(sender, case, agency, actor, **kwargs):
    for access_grant in AccessGrant.objects.filter(case=case):
        grant("access.view_accessgrant", agency.coordinators_group, access_grant)
