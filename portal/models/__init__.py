from portal.models.audit import AuditEvent, AuditLogIsAppendOnly
from portal.models.people import Agency, Membership, Organization, User
from portal.models.tokens import AccessToken

__all__ = [
    "AccessToken",
    "Agency",
    "AuditEvent",
    "AuditLogIsAppendOnly",
    "Membership",
    "Organization",
    "User",
]
