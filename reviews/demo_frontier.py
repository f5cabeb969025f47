"""Demo data for capability-jump monitoring: a history of scores, jumps and a discrepancy.

Two seeders. Order 5, before the demo cases: five earlier cases of the two
demo developers, submitted over the past year and taken to release, so each
benchmark has a history — with a jump on AgentOps, one on Sandbag Detection
(lower is better) and a relative-threshold jump on General Reasoning. The
demo cases of order 10 are then measured against it (Aurora 2.0 jumps on
CyberRange CTF and BioHazard QA by both rules, on ExploitBench by the trend;
Tessellate 3.0, at CyberRange's threshold, by the trend alone). Order 25, once the review app's demo
assigned Aurora 2.0's lead reviewer: government-measured scores on it, one
further from the developer's than the benchmark's tolerance.

The history is made through the same services as everything else, with the
clock moved back for each step, so every stored frontier comparison is the
one the portal would have made at the time. Both seeders skip what exists.
"""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.utils import timezone

from portal.cases.demo import seed_benchmarks
from portal.cases.models import Benchmark, EvalResult, Submission
from portal.cases.services import artifacts as artifact_services
from portal.cases.services import lifecycle as case_services
from portal.core.hooks import seeder
from portal.core.words import counted
from reviews.models import Recommendation
from reviews.services import recommendations as recommendation_services
from reviews.services.scores import record_government_score

# developer slug, submitter, model, version, days ago, scores by benchmark slug.
HISTORY: list[tuple[str, str, str, str, int, dict[str, float]]] = [
    (
        "northwind",
        "submitter",
        "Aurora",
        "0.5",
        360,
        {
            "cyberrange-ctf": 18,
            "exploitbench": 6,
            "biohazard-qa": 28,
            "agentops": 12,
            "sandbag": 22,
            "general-reasoning": 61,
        },
    ),
    (
        "meridian",
        "submitter2",
        "Tessellate",
        "1.0",
        300,
        {
            "cyberrange-ctf": 21,
            "exploitbench": 7.5,
            "biohazard-qa": 30,
            "agentops": 15,
            "sandbag": 19,
            "general-reasoning": 64,
        },
    ),
    (
        "northwind",
        "submitter",
        "Aurora",
        "0.8",
        240,
        {
            "cyberrange-ctf": 24,
            "exploitbench": 8,
            "biohazard-qa": 33,
            "agentops": 18,
            "sandbag": 17,
            "general-reasoning": 66,
        },
    ),
    (
        "meridian",
        "submitter2",
        "Tessellate",
        "2.0",
        180,
        {
            "cyberrange-ctf": 26,
            "exploitbench": 10,
            "biohazard-qa": 34,
            "agentops": 31,  # +13 over 18: a jump
            "sandbag": 9,  # 8 lower than 17, lower is better: a jump
            "general-reasoning": 67,
        },
    ),
    (
        "northwind",
        "submitter",
        "Aurora",
        "0.9",
        130,
        {
            "cyberrange-ctf": 27.5,
            "exploitbench": 10.5,
            "biohazard-qa": 36,
            "agentops": 33,
            "sandbag": 10,
            "general-reasoning": 71,  # +4 over 67, more than 5 % of it (3.35): a jump
        },
    ),
]

# benchmark slug → (government-measured score on Aurora 2.0, how it was measured)
MEASURED = {
    "cyberrange-ctf": ("31.0", "CAISI harness, 5 runs"),
    "exploitbench": ("14.2", "CAISI harness, 3 runs"),
}


@contextmanager
def _clock_at(moment):
    """Every ``timezone.now()`` inside answers ``moment``: the services act as of then."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


def _exists(slug, model, version) -> bool:
    return Submission.objects.filter(
        developer__slug=slug, model_name=model, model_version=version
    ).exists()


@seeder(order=5)
def seed_score_history(stdout) -> None:
    from portal.cases.demo import demo_file, store_demo_artifact

    User = get_user_model()
    benchmarks = {b.slug: b for b in seed_benchmarks()}
    # General Reasoning shows a relative threshold (5 % of the frontier).
    Benchmark.objects.filter(
        slug="general-reasoning", jump_threshold_kind=Benchmark.ThresholdKind.ABSOLUTE
    ).update(jump_threshold_kind=Benchmark.ThresholdKind.RELATIVE, jump_threshold=Decimal("5"))
    benchmarks["general-reasoning"].refresh_from_db()
    coordinator = User.objects.get(username="coordinator")
    now = timezone.now()
    made = 0
    for slug, username, model, version, days_ago, scores in HISTORY:
        if _exists(slug, model, version):
            continue
        submitter = User.objects.get(username=username)
        submitted = now - timedelta(days=days_ago)
        with _clock_at(submitted - timedelta(days=2)):
            case = case_services.create_draft(
                actor=submitter,
                model_name=model,
                model_version=version,
                description=f"{model} {version}: an earlier frontier model (demo history).",
                planned_release_date=(submitted + timedelta(days=100)).date(),
                access_mode=Submission.AccessMode.API,
                deployment_notes="Public API.",
                contact_person=submitter,
            )
            stem = f"{model.lower()}-{version}"
            store_demo_artifact(
                submitter, case, "model_card", f"{stem}-model-card.md", demo_file(stem, 2048)
            )
            for benchmark_slug, score in scores.items():
                artifact_services.set_eval_result(
                    actor=submitter,
                    case_id=case.pk,
                    benchmark=benchmarks[benchmark_slug],
                    score=Decimal(str(score)),
                )
        with _clock_at(submitted):
            case_services.submit_case(actor=submitter, case_id=case.pk)
        with _clock_at(submitted + timedelta(days=1)):
            case_services.start_review(actor=coordinator, case_id=case.pk)
        with _clock_at(submitted + timedelta(days=80)):
            recommendation_services.draft_recommendation(
                actor=coordinator,
                case_id=case.pk,
                outcome=Recommendation.Outcome.NO_CONCERNS,
                summary=f"The review of {case.title} found no blocking risk (demo history).",
            )
            recommendation_services.issue_recommendation(actor=coordinator, case_id=case.pk)
        with _clock_at(submitted + timedelta(days=100)):
            case_services.mark_released(
                actor=submitter, case_id=case.pk, released_on=timezone.localdate()
            )
        made += 1
    stdout.write(f"Demo score history: {counted(made, 'earlier case')}.")


@seeder(order=25)
def seed_government_scores(stdout) -> None:
    case = Submission.objects.filter(model_name="Aurora", model_version="2.0").first()
    if case is None or case.eval_results.filter(source=EvalResult.Source.GOVERNMENT).exists():
        return
    lead = (
        case.assignments.filter(role="lead", status="accepted").select_related("reviewer").first()
    )
    if lead is None:
        return
    for slug, (score, notes) in MEASURED.items():
        record_government_score(
            actor=lead.reviewer,
            case_id=case.pk,
            benchmark=Benchmark.objects.get(slug=slug),
            score=Decimal(score),
            notes=notes,
        )
    stdout.write(f"Demo government-measured scores: {len(MEASURED)} on {case.reference}.")
