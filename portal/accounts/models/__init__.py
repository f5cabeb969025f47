from portal.accounts.models.people import Agency, Membership, Organization, Unit, User
from portal.accounts.models.tokens import AccessToken

__all__ = ["AccessToken", "Agency", "Membership", "Organization", "Unit", "User"]
