"""A coordinator assigns two reviewers; a reviewer attests no conflict, records a finding
shared with the developer and asks for information; the developer answers; the
coordinator drafts and issues the recommendation."""

import datetime

from playwright.sync_api import expect

from portal.accounts.models import User
from portal.cases.models import Submission
from reviews.models import Assignment, Finding, InformationRequest, Recommendation
from tests.e2e.conftest import click_sensitive, screenshot, sign_in, tick, understand


def test_review_from_assignment_to_recommendation(new_page, fresh_case):
    case = fresh_case
    workspace = f"/reviews/cases/{case.pk}/"

    coordinator = new_page()
    sign_in(coordinator, "coordinator")
    screenshot(coordinator, "coordinator-queue")
    coordinator.get_by_role("link", name=case.number).click()
    expect(coordinator).to_have_url(f"{coordinator.url.split('/reviews/')[0]}{workspace}")
    open_section(coordinator, "Reviewers")
    for username, role in [("reviewer", "lead"), ("reviewer2", "reviewer")]:
        invite = coordinator.get_by_role("form", name="Invite a reviewer")
        invite.get_by_label("Reviewer").select_option(str(user_id(username)))
        invite.get_by_label("Role").select_option(role)
        invite.get_by_role("button", name="Invite").click()
        coordinator.wait_for_load_state()
    assert case.assignments.count() == 2

    reviewer = new_page()
    sign_in(reviewer, "reviewer")
    screenshot(reviewer, "reviewer-my-cases")
    reviewer.get_by_role("link", name=f"Answer the invitation to {case.number}").click()
    tick(reviewer, "Accept the invitation")
    tick(reviewer, "I confirm these answers are complete and true")
    reviewer.get_by_role("button", name="Send my answer").click()
    reviewer.wait_for_load_state()
    lead = case.assignments.get(reviewer__username="reviewer")
    assert lead.status == Assignment.Status.ACCEPTED
    assert not lead.financial_interest and not lead.recent_employment

    reviewer.goto(workspace)
    open_section(reviewer, "Findings")
    record = reviewer.get_by_role("button", name="Record finding")
    finding_form = reviewer.locator("form", has=record)
    finding_form.get_by_label("Title").fill("Jailbreak bypasses the refusal policy")
    finding_form.get_by_label("Category").select_option(index=1)
    finding_form.get_by_label("Severity").select_option(index=1)
    finding_form.get_by_label("Description").fill("A role-play prompt bypasses the refusals.")
    tick(finding_form, "Developer")
    finding_form.get_by_role("button", name="Record finding").click()
    reviewer.wait_for_load_state()
    finding = Finding.objects.get(case=case)
    assert finding.marking == "developer"
    reviewer.evaluate("window.scrollTo(0, 0)")  # the redirect lands on the finding's anchor
    screenshot(reviewer, "reviewer-workspace-findings")

    open_section(reviewer, "Information requests")
    request_form = reviewer.locator("form", has=reviewer.get_by_role("button", name="Send request"))
    request_form.get_by_label("Question for the developer").fill("Which refusal data was used?")
    due = datetime.date.today() + datetime.timedelta(days=10)
    request_form.get_by_label("Answer due").fill(due.isoformat())
    request_form.get_by_role("button", name="Send request").click()
    reviewer.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == Submission.Status.INFO_REQUESTED

    developer = new_page()
    sign_in(developer, "submitter")
    developer.goto(f"/cases/{case.pk}/")
    open_section(developer, "Review")
    expect(developer.get_by_text("Jailbreak bypasses the refusal policy")).to_be_visible()
    developer.get_by_label("Your answer").fill("The public refusal set, version 4.")
    developer.get_by_role("button", name="Send answer").click()
    developer.wait_for_load_state()
    assert not InformationRequest.objects.filter(case=case, answered_at=None).exists()
    case.refresh_from_db()
    assert case.status == Submission.Status.IN_REVIEW

    coordinator.goto(workspace)
    open_section(coordinator, "Recommendation")
    draft = coordinator.locator("form", has=coordinator.get_by_role("button", name="Save draft"))
    tick(draft, "No concerns")
    for field in draft.locator("textarea").all():
        field.fill("The model can be released as planned.")
    draft.get_by_role("button", name="Save draft").click()
    coordinator.wait_for_load_state()
    issue_form = coordinator.locator(
        "form", has=coordinator.get_by_role("button", name="Issue this recommendation")
    )
    click_sensitive(coordinator, "Issue this recommendation", scope=issue_form, fill=understand)
    recommendation = Recommendation.objects.get(case=case)
    assert recommendation.issued_at is not None
    case.refresh_from_db()
    assert case.status == Submission.Status.RECOMMENDATION_ISSUED

    developer.reload()
    expect(developer.get_by_text("No concerns").first).to_be_visible()


def open_section(page, label):
    """Follow the side navigation (the workspace's, the case page's) to one of its sections."""
    page.locator(".usa-sidenav").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state()
    expect(page.locator('.usa-sidenav [aria-current="page"]')).to_have_text(label)


def user_id(username):
    return User.objects.get(username=username).pk
