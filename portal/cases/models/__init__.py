from portal.cases.models.artifacts import Artifact, ArtifactUpload
from portal.cases.models.benchmarks import Benchmark, EvalResult
from portal.cases.models.cases import (
    UNDER_REVIEW,
    CaseNumberCounter,
    CaseRouting,
    CaseStatus,
    ClockEvent,
    ReviewClock,
    Submission,
    SubmissionGroupObjectPermission,
    SubmissionUserObjectPermission,
    routing_staffed,
)

__all__ = [
    "Artifact",
    "ArtifactUpload",
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
    "UNDER_REVIEW",
    "routing_staffed",
]
