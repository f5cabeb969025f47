"""The capability-jump flag in every agency case list, and the filter on it."""

from django.urls import reverse

JUMP_TAG = ">Capability jump</span>"


def test_the_agency_queue_flags_counts_and_filters_jumps(client, coordinator, ctf, submit_scores):
    plain = submit_scores({ctf: 40})
    jump = submit_scores({ctf: 46})
    client.force_login(coordinator)
    url = reverse("reviews:agency_queue")

    html = client.get(url).content.decode()
    assert html.count(JUMP_TAG) == 1
    assert "<strong>1</strong> with a capability jump" in html

    only_jumps = client.get(url, {"capability_jump": "true"}).content.decode()
    assert jump.number in only_jumps and plain.number not in only_jumps
    no_jumps = client.get(url, {"capability_jump": "false"}).content.decode()
    assert plain.number in no_jumps and jump.number not in no_jumps


def test_my_cases_flags_and_filters_jumps(client, reviewer, ctf, submit_scores, accept_lead):
    plain = submit_scores({ctf: 40})
    jump = submit_scores({ctf: 46})
    accept_lead(plain, reviewer)
    accept_lead(jump, reviewer)
    client.force_login(reviewer)
    url = reverse("reviews:my_cases")

    assert client.get(url).content.decode().count(JUMP_TAG) == 1
    only_jumps = client.get(url, {"capability_jump": "true"}).content.decode()
    assert jump.number in only_jumps and plain.number not in only_jumps


def test_the_workspace_flags_the_jump(client, coordinator, ctf, submit_scores):
    submit_scores({ctf: 40})
    jump = submit_scores({ctf: 46})
    client.force_login(coordinator)

    html = client.get(reverse("reviews:workspace", args=[jump.pk])).content.decode()
    assert JUMP_TAG in html  # in the case header, on every section
    timeline = client.get(reverse("reviews:case_timeline", args=[jump.pk])).content.decode()
    assert JUMP_TAG in timeline
    assert "Capability jump flagged" in timeline
