from portal.cases.models.artifacts import Artifact
from portal.cases.models.benchmarks import Benchmark, EvalResult
from portal.cases.models.cases import (
    CaseNumberCounter,
    CaseRouting,
    CaseStatus,
    ClockEvent,
    ReviewClock,
    Submission,
    SubmissionGroupObjectPermission,
    SubmissionUserObjectPermission,
)

__all__ = [
    "Artifact",
    "Benchmark",
    "CaseNumberCounter",
    "CaseRouting",
    "CaseStatus",
    "ClockEvent",
    "EvalResult",
    "ReviewClock",
    "Submission",
    "SubmissionGroupObjectPermission",
    "SubmissionUserObjectPermission",
]
