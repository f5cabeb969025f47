"""A grant's days left are the same number on the developer's page and the operator's.

Both count calendar days in the portal's time zone (``portal.core.days``):
an end at 00:01 forty-six dates away is "46 days left" on every page, where
counting whole 24-hour spans would say 45 on one of them.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from access.models import AccessGrant
from portal.core.days import days_until


def test_the_developer_and_the_operator_read_the_same_days_left(
    client, submitter, operator, accepted, grant, frozen
):
    local_now = timezone.localtime(frozen.moment)
    frozen.moment = max(frozen.moment, local_now.replace(hour=12, minute=0))
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    ends_at = midnight + timedelta(days=46, minutes=1)
    AccessGrant.objects.filter(pk=grant.pk).update(ends_at=ends_at)
    assert days_until(ends_at) == 46
    assert (ends_at - timezone.now()) // timedelta(days=1) == 45  # what one page used to say

    client.force_login(submitter)
    developer_page = client.get(reverse("portal:case_section", args=[grant.case_id, "access"]))
    assert "46 days left" in developer_page.content.decode()

    client.force_login(operator)
    for url in (reverse("access:granted_models"), reverse("access:grant_detail", args=[grant.pk])):
        html = client.get(url).content.decode()
        assert "46 days left" in html, url
        assert "45 days left" not in html, url
