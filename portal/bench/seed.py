"""A large data set, by bulk inserts on top of the demo data.

The demo data (``seed_demo``, through the services) gives the personas, the
groups and one case of each kind; the bulk rows copy what the services would
have written — object permissions included — without running them, so 10,000
cases, 50,000 assignments and 200,000 audit events take minutes.
"""

import hashlib
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.accounts.models import Agency, Membership, Organization
from portal.audit.models import GENESIS_HASH, AuditEvent
from portal.capability import kept
from portal.capability.models import JumpEvaluation
from portal.cases.models import (
    Benchmark,
    CaseRouting,
    CaseStatus,
    EvalResult,
    Submission,
    SubmissionGroupObjectPermission,
    SubmissionUserObjectPermission,
)
from reviews.models import Assignment, Finding, Marking, Severity

BATCH = 2000
BULK_NUMBER_PREFIX = "FMR-B"


@dataclass(frozen=True)
class Scale:
    name: str
    cases: int
    assignments: int
    findings: int
    people: int
    audit_events: int
    artifact_bytes: int
    page_repeats: int
    transfer_repeats: int


SCALES = {
    "full": Scale("full", 10_000, 50_000, 20_000, 300, 200_000, 1024**3, 15, 7),
    "smoke": Scale("smoke", 100, 500, 200, 40, 2_000, 16 * 1024**2, 3, 1),
}


def _statuses(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.70:
        return CaseStatus.IN_REVIEW
    if roll < 0.80:
        return CaseStatus.SUBMITTED
    if roll < 0.87:
        return CaseStatus.INFO_REQUESTED
    if roll < 0.93:
        return CaseStatus.RECOMMENDATION_ISSUED
    if roll < 0.97:
        return CaseStatus.RELEASED
    return CaseStatus.WITHDRAWN


def already_seeded() -> int:
    return Submission.objects.filter(number__startswith=BULK_NUMBER_PREFIX).count()


def seed(scale: Scale, *, stdout=None) -> dict[str, int]:
    """Demo data, then the bulk rows up to ``scale``; returns the counts made."""
    write = stdout.write if stdout else (lambda _text: None)
    call_command("seed_demo", verbosity=0, stdout=_Quiet())
    # Frontiers kept from another database in the same cache are not this one's.
    kept.forget_on_commit()
    if already_seeded():
        write(f"bench data already there ({already_seeded()} bulk cases): kept")
        # Migrations since the seeding may have added columns (a stored search
        # vector) that the planner has no statistics for yet.
        _refresh_statistics()
        return {}
    rng = random.Random(2026)  # noqa: S311 - data, not secrets
    with transaction.atomic():
        people = _people(scale, rng)
        cases = _cases(scale, rng)
        # The database's triggers fill each routing's copies and count its
        # reviewers as the rows go in (bulk_create or not).
        assignments = _assignments(scale, rng, cases, people)
        findings = _findings(scale, rng, cases, people)
        scores = _scores(rng, cases)
    events = _audit_events(scale, rng, cases)
    _refresh_statistics()
    kept.forget_on_commit()  # the bulk rows went in past the models' signals
    made = {
        "people": people["count"],
        "cases": len(cases),
        "assignments": assignments,
        "findings": findings,
        "reported scores": scores,
        "audit events": events,
    }
    write("seeded " + ", ".join(f"{count} {what}" for what, count in made.items()))
    return made


def _refresh_statistics() -> None:
    """Planner statistics for the bulk rows, as autovacuum would gather them in a while.

    Measured straight after a bulk load, PostgreSQL would plan with the sizes of
    empty tables and without the visibility map that index-only scans need.
    """
    from django.db import connection

    # VACUUM cannot run in a transaction (the bench's own tests run in one).
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        # Safe: a fixed statement, no input reaches it.
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


class _Quiet:
    def write(self, *_args, **_kwargs):
        pass

    def flush(self):
        pass


def _people(scale: Scale, rng: random.Random) -> dict:
    """Reviewers for both agencies and submitters for both developers, up to ``scale.people``."""
    User = get_user_model()
    caisi = Agency.objects.get(acronym="CAISI")
    nsa = Agency.objects.filter(acronym="NSA").first() or caisi
    developers = list(Organization.objects.filter(kind=Organization.Kind.DEVELOPER).order_by("pk"))
    missing = max(0, scale.people - User.objects.count())
    password = User.objects.get(username="reviewer").password
    users = [
        User(
            username=f"bench{i:04d}",
            password=password,
            email=f"bench{i:04d}@example.test",
            first_name="Bench",
            last_name=f"Person {i:04d}",
        )
        for i in range(missing)
    ]
    User.objects.bulk_create(users, batch_size=BATCH)
    users = list(User.objects.filter(username__startswith="bench").order_by("pk"))
    memberships: list[Membership] = []
    groups: list[Any] = []
    reviewers: dict[int, list[int]] = {caisi.pk: [], nsa.pk: []}
    members = set(Membership.objects.filter(user__in=users).values_list("user_id", flat=True))
    for i, user in enumerate(users):
        if i % 3 == 2:
            membership = Membership(
                user=user, organization=developers[i % len(developers)], role="submitter"
            )
        else:
            agency = caisi if i % 3 == 0 else nsa
            membership = Membership(user=user, agency=agency, role="reviewer")
            reviewers[agency.pk].append(user.pk)
        if user.pk not in members:
            memberships.append(membership)
    Membership.objects.bulk_create(memberships, batch_size=BATCH)
    for membership in Membership.objects.filter(user__in=users).select_related(
        "agency__group", "agency__coordinators_group", "organization__group"
    ):
        groups.extend(
            User.groups.through(user_id=membership.user_id, group_id=group.pk)
            for group in membership.groups()
        )
    User.groups.through.objects.bulk_create(groups, batch_size=BATCH, ignore_conflicts=True)
    # The demo reviewer carries a heavy load, so the queues show full pages.
    demo_reviewer = User.objects.get(username="reviewer")
    reviewers[caisi.pk].append(demo_reviewer.pk)
    return {"count": len(users), "reviewers": reviewers, "caisi": caisi, "nsa": nsa}


def _template_case(developer) -> Submission | None:
    """A demo case in review of this developer: its permission rows are copied."""
    return (
        Submission.objects.filter(developer=developer, status=CaseStatus.IN_REVIEW)
        .exclude(number__startswith=BULK_NUMBER_PREFIX)
        .order_by("pk")
        .first()
    )


def _cases(scale: Scale, rng: random.Random) -> list[Submission]:
    developers = list(Organization.objects.filter(kind=Organization.Kind.DEVELOPER).order_by("pk"))
    templates = {d.pk: _template_case(d) for d in developers}
    # Only developers the demo data gave a case in review: theirs are copied.
    developers = [d for d in developers if templates[d.pk] is not None]
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for i in range(scale.cases):
        developer = developers[i % len(developers)]
        template = templates[developer.pk]
        assert template is not None  # developers without a template were dropped above
        submitted = now - timedelta(days=rng.randint(1, 80))
        status = _statuses(rng)
        rows.append(
            Submission(
                number=f"{BULK_NUMBER_PREFIX}-{i:05d}",
                developer=developer,
                model_name=f"Bench Model {i % 400}",
                model_version=f"{i // 400}.{i % 10}",
                description="Bulk benchmark case.",
                planned_release_date=today + timedelta(days=rng.randint(5, 150)),
                access_mode=Submission.AccessMode.BOTH,
                contact_person_id=template.contact_person_id,
                status=status,
                short_notice=rng.random() < 0.1,
                submitted_at=submitted,
                review_due=submitted.date() + timedelta(days=90),
                clock_paused=status == CaseStatus.INFO_REQUESTED,
                created_by_id=template.created_by_id,
            )
        )
    Submission.objects.bulk_create(rows, batch_size=BATCH)
    cases = list(
        Submission.objects.filter(number__startswith=BULK_NUMBER_PREFIX)
        .only("pk", "developer_id", "review_due", "status")
        .order_by("pk")
    )
    caisi = Agency.objects.get(acronym="CAISI")
    nsa = Agency.objects.filter(acronym="NSA").first()
    routings, perms = [], []
    template_perms = {
        d.pk: list(
            SubmissionGroupObjectPermission.objects.filter(
                content_object=templates[d.pk]
            ).values_list("group_id", "permission_id")
        )
        for d in developers
    }
    nsa_groups = (
        {pk for pk in (nsa.group_id, nsa.coordinators_group_id) if pk is not None} if nsa else set()
    )
    for i, case in enumerate(cases):
        routed_nsa = nsa is not None and i % 2 == 0
        routings.append(CaseRouting(case=case, agency=caisi))
        if routed_nsa:
            routings.append(CaseRouting(case=case, agency=nsa))
        for group_id, permission_id in template_perms[case.developer_id]:
            if group_id in nsa_groups and not routed_nsa:
                continue
            perms.append(
                SubmissionGroupObjectPermission(
                    group_id=group_id, permission_id=permission_id, content_object=case
                )
            )
        if (
            routed_nsa
            and nsa_groups
            and not any(g in nsa_groups for g, _ in template_perms[case.developer_id])
        ):
            view = _permission_id("view_submission")
            perms.extend(
                SubmissionGroupObjectPermission(group_id=g, permission_id=view, content_object=case)
                for g in nsa_groups
            )
    CaseRouting.objects.bulk_create(routings, batch_size=BATCH)
    SubmissionGroupObjectPermission.objects.bulk_create(
        perms, batch_size=BATCH, ignore_conflicts=True
    )
    return cases


def _scores(rng: random.Random, cases) -> int:
    """One developer-reported score per case, on the demo benchmarks in turn, with a stored
    evaluation; one in twenty a jump, one in ten with a government-measured score."""
    benchmarks = list(Benchmark.objects.filter(active=True).order_by("pk"))
    if not benchmarks:
        return 0
    recorder = Submission.objects.filter(pk=cases[0].pk).values_list("created_by_id", flat=True)
    recorded_by_id = recorder.get()
    reported, measured = [], []
    for i, case in enumerate(cases):
        benchmark = benchmarks[i % len(benchmarks)]
        low = float(benchmark.min_score if benchmark.min_score is not None else 0)
        high = float(benchmark.max_score if benchmark.max_score is not None else 100)
        score = round(rng.uniform(low, high), 2)
        common = {"case_id": case.pk, "benchmark": benchmark, "recorded_by_id": recorded_by_id}
        jump = i % 20 == 0
        reported.append(
            EvalResult(
                **common,
                source=EvalResult.Source.DEVELOPER,
                score=score,
                frontier_before=score,
                is_jump=jump,
                evaluated_at=timezone.now(),
            )
        )
        if i % 10 == 0:
            measured.append(EvalResult(**common, source=EvalResult.Source.GOVERNMENT, score=score))
    EvalResult.objects.bulk_create(reported + measured, batch_size=BATCH)
    made = EvalResult.objects.filter(
        case__number__startswith=BULK_NUMBER_PREFIX, source=EvalResult.Source.DEVELOPER
    ).values_list("pk", "score", "is_jump")
    now = timezone.now()
    JumpEvaluation.objects.bulk_create(
        (
            JumpEvaluation(
                result_id=pk,
                evaluated_at=now,
                score=score,
                frontier_before=score,
                threshold_fired=jump,
                trend_status=JumpEvaluation.Trend.NOT_ENOUGH_HISTORY,
                trend_scale="linear",
                trend_window_months=24,
                trend_sigmas=2,
                trend_min_points=4,
                trend_points=0,
                rule=JumpEvaluation.Rule.THRESHOLD if jump else JumpEvaluation.Rule.NONE,
            )
            for pk, score, jump in made.iterator(chunk_size=BATCH)
        ),
        batch_size=BATCH,
    )
    return len(reported)


def _permission_id(codename: str) -> int:
    from django.contrib.auth.models import Permission

    return Permission.objects.get(content_type__app_label="cases", codename=codename).pk


def _assignments(scale, rng, cases, people) -> int:
    User = get_user_model()
    caisi, nsa = people["caisi"], people["nsa"]
    coordinator = User.objects.get(username="coordinator")
    demo_reviewer = User.objects.get(username="reviewer").pk
    per_case = max(1, scale.assignments // len(cases))
    view, review = _permission_id("view_submission"), _permission_id("review_submission")
    rows, user_perms = [], []
    now = timezone.now()
    for i, case in enumerate(cases):
        pool = people["reviewers"][caisi.pk if i % 2 else nsa.pk] or people["reviewers"][caisi.pk]
        agency = caisi if i % 2 or not people["reviewers"][nsa.pk] else nsa
        chosen = rng.sample(pool, min(per_case, len(pool)))
        if i % 5 == 0 and agency == caisi and demo_reviewer not in chosen:
            chosen[0] = demo_reviewer
        for n, reviewer_id in enumerate(chosen):
            roll = rng.random()
            status = (
                Assignment.Status.ACCEPTED
                if roll < 0.6
                else Assignment.Status.INVITED
                if roll < 0.75
                else Assignment.Status.COMPLETED
                if roll < 0.95
                else Assignment.Status.DECLINED
            )
            due = case.review_due - timedelta(days=rng.randint(0, 20))
            rows.append(
                Assignment(
                    case=case,
                    reviewer_id=reviewer_id,
                    agency=agency,
                    role=Assignment.Role.LEAD if n == 0 else Assignment.Role.REVIEWER,
                    due_date=due,
                    status=status,
                    invited_by=coordinator,
                    responded_at=None if status == Assignment.Status.INVITED else now,
                    completed_at=now if status == Assignment.Status.COMPLETED else None,
                    attested_at=None if status == Assignment.Status.INVITED else now,
                )
            )
            if status in (Assignment.Status.ACCEPTED, Assignment.Status.COMPLETED):
                user_perms += [
                    SubmissionUserObjectPermission(
                        user_id=reviewer_id, permission_id=perm, content_object=case
                    )
                    for perm in (view, review)
                ]
    Assignment.objects.bulk_create(rows, batch_size=BATCH)
    SubmissionUserObjectPermission.objects.bulk_create(
        user_perms, batch_size=BATCH, ignore_conflicts=True
    )
    return len(rows)


def _findings(scale, rng, cases, people) -> int:
    caisi = people["caisi"]
    authors = people["reviewers"][caisi.pk]
    per_case = max(1, scale.findings // len(cases))
    markings = list(Marking.values)
    rows = [
        Finding(
            case=case,
            author_id=rng.choice(authors),
            agency=caisi,
            title=f"Finding {n} on {case.pk}",
            category=rng.choice(Finding.Category.values),
            severity=rng.choice(Severity.values),
            description="Bulk benchmark finding.",
            status=Finding.Status.OPEN,
            marking=rng.choice(markings),
        )
        for case in cases
        for n in range(per_case)
    ]
    Finding.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _audit_events(scale, rng, cases) -> int:
    """Chained events, hashed as ``AuditEvent.record`` hashes them (verify_audit passes)."""
    case_type = ContentType.objects.get_for_model(Submission)
    actions = ["case.viewed", "artifact.downloaded", "finding.created", "assignment.accepted"]
    made = 0
    with transaction.atomic():
        last = AuditEvent.objects.order_by("-sequence").values("sequence", "hash").first()
        sequence = last["sequence"] if last else 0
        prev_hash = last["hash"] if last else GENESIS_HASH
        now = timezone.now()
        batch = []
        for i in range(scale.audit_events):
            case = cases[i % len(cases)]
            sequence += 1
            event = AuditEvent(
                sequence=sequence,
                created_at=now,
                actor=None,
                actor_repr="bench",
                action=actions[i % len(actions)],
                target_type=case_type,
                target_id=str(case.pk),
                target_repr=f"{BULK_NUMBER_PREFIX}-{case.pk}",
                details={"n": i},
                prev_hash=prev_hash,
            )
            event.hash = event.compute_hash()
            prev_hash = event.hash
            batch.append(event)
            if len(batch) >= BATCH:
                made += _insert_events(batch)
                batch = []
        made += _insert_events(batch)
    return made


def _insert_events(events) -> int:
    # AuditEvent's own queryset refuses bulk writes (they would skip the chain
    # lock); these rows carry a correct chain computed above.
    QuerySet(model=AuditEvent).bulk_create(events)
    return len(events)


def digest_file(path, chunk: int = 1024 * 1024) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while data := handle.read(chunk):
            sha.update(data)
    return sha.hexdigest()
