"""Who among the operators reads what the government shares with operators on a case.

An operator organization reads it while it holds an open grant on the case:
active and not yet ended. That is when it holds ``read_operator_findings`` on
the case (granted with the grant, removed on revocation or expiry), and when
its grant page shows the shared findings (``portal.core.hooks.grant_panel``).
``reviews`` tells these organizations when a finding is shared or amended,
through ``portal.core.hooks.operator_readers``, without knowing of grants.
"""

from django.urls import reverse
from django.utils import timezone

from access.models import AccessGrant
from portal.accounts.selectors import security_team
from portal.core.hooks import OperatorReaders, operator_readers


def open_grants(case):
    """The case's grants whose organization reads what is shared with operators now."""
    return AccessGrant.objects.filter(
        case=case, status=AccessGrant.Status.ACTIVE, ends_at__gt=timezone.now()
    )


@operator_readers
def grant_holders(case):
    for access_grant in open_grants(case).select_related("operator").order_by("pk"):
        organization = access_grant.operator
        yield OperatorReaders(
            organization=organization,
            people=lambda organization_id=organization.pk: security_team(organization_id),
            url=reverse("access:grant_detail", args=[access_grant.pk]),
        )
