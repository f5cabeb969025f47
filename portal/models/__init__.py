from portal.models.audit import AuditEvent, AuditLogIsAppendOnly
from portal.models.cases import (
    Artifact,
    Benchmark,
    CaseNumberCounter,
    CaseRouting,
    CaseStatus,
    ClockEvent,
    EvalResult,
    ReviewClock,
    Submission,
    SubmissionGroupObjectPermission,
    SubmissionUserObjectPermission,
)
from portal.models.notifications import Notification, UsedFormNonce
from portal.models.people import Agency, Membership, Organization, User
from portal.models.reminders import SentReminder
from portal.models.tokens import AccessToken

__all__ = [
    "AccessToken",
    "Agency",
    "Artifact",
    "AuditEvent",
    "AuditLogIsAppendOnly",
    "Benchmark",
    "CaseNumberCounter",
    "CaseRouting",
    "CaseStatus",
    "ClockEvent",
    "EvalResult",
    "Membership",
    "Notification",
    "Organization",
    "ReviewClock",
    "SentReminder",
    "Submission",
    "SubmissionGroupObjectPermission",
    "SubmissionUserObjectPermission",
    "UsedFormNonce",
    "User",
]
