"""Benchmarks, and cases submitted with chosen scores on chosen days, through the services.

``submit_scores(actor, {benchmark: score}, on=day)`` makes a ready draft of
the actor's developer, reports the scores, and submits it with the clock
stopped at that day, so each test decides which submission came first.
"""

from datetime import date
from decimal import Decimal

import pytest

from portal.cases.models import Benchmark, Submission
from portal.cases.services import lifecycle as case_services
from portal.cases.services.artifacts import set_eval_result
from reviews.services import assignments as assignment_services
from tests.cases.conftest import (  # noqa: F401  (fixtures, used by name)
    frozen,
    make_ready_draft,
    media_root,
    nsa_coordinator,
    other_submitter,
    ready_draft,
)

START = date(2026, 3, 2)


def make_benchmark(slug, *, higher_is_better=True, threshold="5", kind="absolute", **extra):
    return Benchmark.objects.create(
        name=slug.replace("-", " ").title(),
        slug=slug,
        unit=extra.pop("unit", "% solved"),
        higher_is_better=higher_is_better,
        category=extra.pop("category", Benchmark.Category.CYBER_OFFENSE),
        jump_threshold=Decimal(threshold),
        jump_threshold_kind=kind,
        **extra,
    )


@pytest.fixture
def ctf(db):
    """Higher is better, a jump is more than 5 points past the frontier."""
    return make_benchmark("cyber-ctf")


@pytest.fixture
def submit_scores(make_ready_draft, frozen, submitter, coordinator):  # noqa: F811
    """Submit a case of ``actor``'s developer with these scores (routed to CAISI)."""
    frozen.set(START.year, START.month, START.day)
    counter = {"version": 0}

    def submit(scores: dict, *, actor=None, day: int | None = None, **fields) -> Submission:
        actor = actor or submitter
        counter["version"] += 1
        if day is not None:
            frozen.set(START.year, START.month, START.day)
            frozen.advance(days=day)
        else:
            frozen.advance(days=1)
        fields.setdefault("model_version", f"{counter['version']}.0")
        case = make_ready_draft(actor=actor, **fields)
        for benchmark, score in scores.items():
            set_eval_result(
                actor=actor, case_id=case.pk, benchmark=benchmark, score=Decimal(str(score))
            )
        case_services.submit_case(actor=actor, case_id=case.pk)
        case.refresh_from_db()
        return case

    return submit


def reported(case, benchmark):
    return case.eval_results.get(benchmark=benchmark, source="developer")


@pytest.fixture
def accept_lead(coordinator):
    """``accept_lead(case, reviewer)``: the reviewer is the case's accepted lead."""

    def accept(case, reviewer):
        assignment = assignment_services.assign_reviewer(
            actor=coordinator,
            case_id=case.pk,
            reviewer=reviewer,
            role="lead",
            due_date=case.review_due,
        )
        return assignment_services.respond_to_invitation(
            actor=reviewer,
            assignment_id=assignment.pk,
            accept=True,
            financial_interest=False,
            recent_employment=False,
        )

    return accept
