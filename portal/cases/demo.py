"""Demo data for cases, and the registry through which each app adds its own.

``seed_demo`` imports every installed app's ``demo`` module and runs the
registered seeders in order, so ``portal`` seeds cases without knowing of
``reviews`` or ``access``. Every seeder must be idempotent: it finds what an
earlier run made and leaves it alone.
"""

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.cases.models import Benchmark, CaseStatus, Submission
from portal.cases.services import artifacts as artifact_services
from portal.cases.services import lifecycle as case_services
from portal.cases.services import release_dates
from portal.core.hooks import seeder
from portal.files.uploads import HashingWriter

PERCENT = (Decimal("0"), Decimal("100"))
CYBER, CBRN = Benchmark.Category.CYBER_OFFENSE, Benchmark.Category.CBRN
OPEN_ENDED = (Decimal("0"), None)  # a score of no upper bound: its trend is fitted on a log scale

BENCHMARKS = [
    ("CyberRange CTF", "cyberrange-ctf", "% solved", True, CYBER, PERCENT),
    ("ExploitBench", "exploitbench", "% exploited", True, CYBER, PERCENT),
    ("BioHazard QA", "biohazard-qa", "% correct", True, CBRN, PERCENT),
    ("AgentOps Long-Horizon", "agentops", "% tasks", True, Benchmark.Category.AUTONOMY, PERCENT),
    ("Sandbag Detection", "sandbag", "% deceptive", False, Benchmark.Category.DECEPTION, PERCENT),
    (
        "General Reasoning Suite",
        "general-reasoning",
        "score",
        True,
        Benchmark.Category.GENERAL,
        OPEN_ENDED,
    ),
]

# developer slug, submitter, model, version, status, days to release, scores.
# Cases that go further (information requested, recommendation issued,
# released) are taken there by the review app's demo data, which adds the
# assignments, requests and recommendation those states stand on.
CASES = [
    ("northwind", "submitter", "Aurora", "1.0", CaseStatus.IN_REVIEW, 100, [31.0, 12.0, 40.0]),
    ("northwind", "submitter", "Aurora", "2.0", CaseStatus.IN_REVIEW, 120, [38.5, 15.0, 46.0]),
    ("northwind", "submitter", "Aurora", "2.1", CaseStatus.IN_REVIEW, 150, [39.0, 15.5, 47.0]),
    ("northwind", "submitter", "Aurora Mini", "0.9", CaseStatus.DRAFT, 200, [20.0, 8.0, 30.0]),
    ("northwind", "submitter", "Borealis", "1.0", CaseStatus.WITHDRAWN, 110, [25.0, 9.0, 35.0]),
    ("meridian", "submitter2", "Tessellate", "3.0", CaseStatus.SUBMITTED, 45, [44.0, 18.0, 52.0]),
    ("meridian", "submitter2", "Tessellate", "2.5", CaseStatus.IN_REVIEW, 95, [36.0, 14.0, 44.0]),
    ("meridian", "submitter2", "Quill", "1.2", CaseStatus.DRAFT, 300, []),
]


def seed_benchmarks() -> list[Benchmark]:
    benchmarks = []
    for name, slug, unit, higher, category, (low, high) in BENCHMARKS:
        benchmark, _ = Benchmark.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "unit": unit,
                "higher_is_better": higher,
                "category": category,
                "min_score": low,
                "max_score": high,
            },
        )
        benchmarks.append(benchmark)
    return benchmarks


def demo_file(label: str, size: int) -> bytes:
    """Deterministic bytes: the same demo file every run."""
    seed = hashlib.sha256(label.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def store_demo_artifact(actor, case, kind: str, name: str, content: bytes, path=None):
    """An artifact with these bytes, added through the service as an upload would be."""
    writer = HashingWriter()
    writer.write(content)
    artifact_services.add_artifact(
        actor=actor,
        case_id=case.pk,
        kind=kind,
        streamed=writer.finish(),
        original_name=name,
        relative_path=path,
    )


@seeder(order=10)
def seed_cases(stdout) -> None:
    User = get_user_model()
    benchmarks = seed_benchmarks()
    coordinator = User.objects.get(username="coordinator")
    made = 0
    for slug, username, model, version, status, days, scores in CASES:
        submitter = User.objects.get(username=username)
        if Submission.objects.filter(
            developer__slug=slug, model_name=model, model_version=version
        ).exists():
            continue
        case = case_services.create_draft(
            actor=submitter,
            model_name=model,
            model_version=version,
            description=f"{model} {version}: a general-purpose frontier model (demo data).",
            planned_release_date=timezone.localdate() + timedelta(days=days),
            access_mode=Submission.AccessMode.BOTH,
            deployment_notes="Public API first; open weights after the review.",
            contact_person=submitter,
        )
        stem = f"{model.lower().replace(' ', '-')}-{version}"
        store_demo_artifact(
            submitter, case, "model_card", f"{stem}-model-card.md", demo_file(stem + "card", 4096)
        )
        # A small model snapshot: the weights under weights/, a config beside the card.
        store_demo_artifact(
            submitter,
            case,
            "weights",
            f"{stem}.safetensors",
            demo_file(stem, 256 * 1024),
            path=f"weights/{stem}.safetensors",
        )
        store_demo_artifact(
            submitter, case, "other", "config.json", b'{"architecture": "demo", "layers": 2}\n'
        )
        for benchmark, score in zip(benchmarks, scores, strict=False):
            artifact_services.set_eval_result(
                actor=submitter, case_id=case.pk, benchmark=benchmark, score=Decimal(str(score))
            )
        _advance(case, status, submitter=submitter, coordinator=coordinator)
        made += 1
    stdout.write(f"Demo cases: {made} new, {Submission.objects.count()} in all.")


def _advance(case, status, *, submitter, coordinator) -> None:
    if status == CaseStatus.DRAFT:
        return
    reason = (
        ""
        if (case.planned_release_date - timezone.localdate()).days >= 90
        else "A security fix must ship with this release."
    )
    case_services.submit_case(actor=submitter, case_id=case.pk, short_notice_reason=reason)
    if status == CaseStatus.WITHDRAWN:
        case_services.withdraw_case(
            actor=submitter, case_id=case.pk, reason="Training run superseded by a newer version."
        )
    elif status == CaseStatus.IN_REVIEW:
        case_services.start_review(actor=coordinator, case_id=case.pk)


# After the access app's grants (order 30), so the live grant on Aurora 2.0 follows.
MOVED_RELEASE = ("northwind", "Aurora", "2.0", 60, "Our launch partner moved the public launch up.")


@seeder(order=40)
def seed_moved_release(stdout) -> None:
    """A case whose planned release was moved before its review is due: the warning shows."""
    slug, model, version, days, reason = MOVED_RELEASE
    case = Submission.objects.filter(
        developer__slug=slug, model_name=model, model_version=version
    ).first()
    if case is None or case.is_draft or case.is_closed:
        return
    if AuditEvent.objects.for_target(case).filter(action="case.release_date_changed").exists():
        return
    submitter = get_user_model().objects.get(username="submitter")
    release_dates.change_release_date(
        actor=submitter,
        case_id=case.pk,
        planned_release_date=timezone.localdate() + timedelta(days=days),
        reason=reason,
    )
    stdout.write(f"Demo release date: {case.number}'s planned release moved up to {days} days.")
