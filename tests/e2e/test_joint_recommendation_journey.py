"""A case with two agencies: CAISI's coordinator routes it to NSA too and drafts the
recommendation with a response deadline; NSA's coordinator reads the positions panel and
records its position (concur with conditions, shared with the developer); CAISI's
coordinator issues; the developer reads the recommendation with NSA's position, named by
agency."""

import datetime

from playwright.sync_api import expect

from portal.accounts.models import Agency, User
from portal.cases.models import Submission
from reviews.models import AgencyPosition, Assignment, Recommendation
from reviews.services import assignments as assignment_services
from tests.e2e.conftest import click_sensitive, sign_in, tick, understand
from tests.e2e.test_review_journey import open_section

CONDITIONS = "Only with the jailbreak reports sent to NSA within 72 hours."


def test_two_agencies_from_routing_through_positions_to_issue(new_page, fresh_case):
    case = fresh_case
    workspace = f"/reviews/cases/{case.pk}/"
    nsa = Agency.objects.get(acronym="NSA")
    assert case.lead_agency.acronym == "CAISI"
    # CAISI's lead reviewer is on the case (the review journey shows how): the review runs.
    caisi_coordinator = User.objects.get(username="coordinator")
    invitation = assignment_services.assign_reviewer(
        actor=caisi_coordinator,
        case_id=case.pk,
        reviewer=User.objects.get(username="reviewer"),
        role=Assignment.Role.LEAD,
        due_date=datetime.date.today() + datetime.timedelta(days=30),
    )
    assignment_services.respond_to_invitation(
        actor=invitation.reviewer,
        assignment_id=invitation.pk,
        accept=True,
        financial_interest=False,
        recent_employment=False,
    )

    caisi = new_page()
    sign_in(caisi, "coordinator")
    caisi.goto(f"{workspace}reviewers/")
    route = caisi.get_by_role("form", name="Route to another agency")
    route.get_by_label("Agency").select_option(str(nsa.pk))
    route.get_by_role("button", name="Route").click()
    caisi.wait_for_load_state()
    expect(caisi.locator(".portal-agency-states")).to_contain_text("NSA: routed")
    open_section(caisi, "Overview")
    positions = caisi.locator("#positions")
    expect(positions.get_by_role("row", name="NSA")).to_contain_text("Participant")
    expect(positions.get_by_role("row", name="CAISI")).to_contain_text("Lead")
    expect(caisi.locator(".portal-agency-states")).to_contain_text("NSA: routed")

    open_section(caisi, "Recommendation")
    draft = caisi.locator("form", has=caisi.get_by_role("button", name="Save draft"))
    tick(draft, "Concerns with mitigations")
    draft.get_by_label("Summary").fill("Release with the code tool behind the enterprise tier.")
    draft.get_by_label("For operators").fill("Shorten your patch cycle before the release.")
    draft.get_by_role("button", name="Save draft").click()
    caisi.wait_for_load_state()
    # Issuing waits for NSA: the refusal says so and nothing is issued.
    issue_form = caisi.locator(
        "form", has=caisi.get_by_role("button", name="Issue this recommendation")
    )
    click_sensitive(caisi, "Issue this recommendation", scope=issue_form, fill=understand)
    expect(caisi.get_by_text("Waiting for the position of NSA.")).to_be_visible()
    assert Recommendation.objects.get(case=case).issued_at is None
    deadline = caisi.get_by_role("form", name="Response deadline")
    due = datetime.date.today() + datetime.timedelta(days=7)
    deadline.get_by_label("Positions due").fill(due.isoformat())
    deadline.get_by_role("button", name="Set the deadline").click()
    caisi.wait_for_load_state()
    assert Recommendation.objects.get(case=case).response_deadline == due

    nsa_page = new_page()
    sign_in(nsa_page, "nsa_coordinator")
    nsa_page.goto(workspace)
    expect(nsa_page.locator("#positions").get_by_role("row", name="NSA")).to_contain_text(
        "Awaited by"
    )
    open_section(nsa_page, "Recommendation")
    position = nsa_page.get_by_role("form", name="Your agency's position")
    tick(position, "Concur with conditions")
    position.get_by_label("Conditions or reasons").fill(CONDITIONS)
    tick(position, "Shared with the developer")
    position.get_by_role("button", name="Record the position").click()
    nsa_page.wait_for_load_state()
    expect(nsa_page.get_by_text("Your agency's position is recorded")).to_be_visible()
    recorded = AgencyPosition.objects.get(case=case)
    assert (recorded.agency, recorded.stance, recorded.marking) == (nsa, "conditions", "developer")

    caisi.goto(workspace)
    expect(caisi.locator(".portal-agency-states")).to_contain_text("NSA: concur with conditions")
    open_section(caisi, "Recommendation")
    issue_form = caisi.locator(
        "form", has=caisi.get_by_role("button", name="Issue this recommendation")
    )
    click_sensitive(caisi, "Issue this recommendation", scope=issue_form, fill=understand)
    assert Recommendation.objects.get(case=case).issued_at is not None
    case.refresh_from_db()
    assert case.status == Submission.Status.RECOMMENDATION_ISSUED

    developer = new_page()
    sign_in(developer, "submitter")
    developer.goto(f"/cases/{case.pk}/review/")  # a deep link to the Review section
    expect(developer.get_by_text(CONDITIONS)).to_be_visible()
    expect(developer.locator(".portal-developer-positions")).to_contain_text("NSA")


def issue(page):
    """Send the recommendation section's issue form, its "I understand" box ticked."""
    button = page.get_by_role("button", name="Issue this recommendation")
    form = page.locator("form", has=button)
    click_sensitive(page, "Issue this recommendation", scope=form, fill=understand)
