"""The admin: a benchmark's range and trend settings, and the stored evaluations, read-only."""

from decimal import Decimal

from django.urls import reverse

from tests.capability.conftest import make_benchmark


def test_the_admin_edits_a_benchmarks_range_and_trend_and_reads_the_evaluations(
    client, platform_admin, submit_scores
):
    bench = make_benchmark("adm", min_score=Decimal(0), max_score=Decimal(100))
    case = submit_scores({bench: 40})
    client.force_login(platform_admin)

    page = client.get(reverse("admin:cases_benchmark_change", args=[bench.pk])).content.decode()
    for field in (
        "min_score",
        "max_score",
        "trend_window_months",
        "trend_sigmas",
        "trend_min_points",
    ):
        assert f'name="{field}"' in page

    listing = client.get(reverse("admin:capability_jumpevaluation_changelist"))
    assert listing.status_code == 200
    evaluation = case.eval_results.get().jump_evaluations.get()
    detail = client.get(reverse("admin:capability_jumpevaluation_change", args=[evaluation.pk]))
    assert detail.status_code == 200
    assert 'name="rule"' not in detail.content.decode()  # read-only
    assert client.get(reverse("admin:capability_jumpevaluation_add")).status_code == 403


def test_the_admin_refuses_a_range_upside_down(client, platform_admin, db):
    bench = make_benchmark("upside", min_score=Decimal(0), max_score=Decimal(100))
    client.force_login(platform_admin)
    url = reverse("admin:cases_benchmark_change", args=[bench.pk])
    response = client.post(
        url,
        {
            "name": bench.name,
            "slug": bench.slug,
            "unit": bench.unit,
            "higher_is_better": "on",
            "category": bench.category,
            "active": "on",
            "min_score": "100",
            "max_score": "0",
            "jump_threshold": "5",
            "jump_threshold_kind": "absolute",
            "discrepancy_tolerance": "2",
            "trend_window_months": "24",
            "trend_sigmas": "2",
            "trend_min_points": "4",
        },
    )
    assert response.status_code == 200
    assert "must be above the lowest" in response.content.decode()
    bench.refresh_from_db()
    assert (bench.min_score, bench.max_score) == (0, 100)


def test_the_admin_flags_an_agency_as_monitoring_and_the_change_is_audited(
    client, platform_admin, nsa
):
    from portal.audit.models import AuditEvent

    client.force_login(platform_admin)
    listing = client.get(
        reverse("admin:accounts_agency_changelist"), {"monitors_capability__exact": "1"}
    )
    assert listing.status_code == 200
    assert "monitors capability jumps" in listing.content.decode().lower()
    form = client.get(reverse("admin:accounts_agency_change", args=[nsa.pk])).context["adminform"]
    data = {name: value for name, value in form.form.initial.items() if value is not None}
    data.update(monitors_capability="on", slug=nsa.slug)

    response = client.post(reverse("admin:accounts_agency_change", args=[nsa.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    nsa.refresh_from_db()
    assert nsa.monitors_capability
    event = AuditEvent.objects.get(action="agency.monitoring_changed")
    assert event.details == {"agency": "NSA", "monitors_capability": True}
