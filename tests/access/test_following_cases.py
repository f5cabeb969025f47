"""Access follows the case: an agency routed later sees the existing grants;
a nomination that lapses closes instead of blocking a new grant."""

from access import services as access_services
from access.models import AccessGrant
from portal.cases.services import lifecycle as case_services


def test_an_agency_routed_later_sees_the_cases_grants(
    grant, granted_case, coordinator, nsa, nsa_coordinator
):
    assert not AccessGrant.objects.visible_to(nsa_coordinator).exists()
    case_services.start_review(actor=coordinator, case_id=granted_case.pk)
    case_services.route_case(actor=coordinator, case_id=granted_case.pk, agency=nsa)

    assert list(AccessGrant.objects.visible_to(nsa_coordinator)) == [grant]


def test_a_lapsed_nomination_is_closed_and_the_operator_can_be_granted_again(
    grant_in, submitter, granted_case, bank, operator
):
    nomination = grant_in(AccessGrant.Status.NOMINATED)
    assert access_services.expire_grant(nomination.pk, at=nomination.ends_at)
    nomination.refresh_from_db()
    assert nomination.status == AccessGrant.Status.EXPIRED
    # It never gave the operator access, and no longer blocks a real grant.
    assert not AccessGrant.objects.visible_to(operator).filter(pk=nomination.pk).exists()
    fresh = access_services.grant_access(actor=submitter, case_id=granted_case.pk, operator=bank)
    assert fresh.status == AccessGrant.Status.ACTIVE
