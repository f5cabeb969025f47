"""System checks of the accounts app: the proxy settings sign-in throttling relies on."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def proxy_check(app_configs, **kwargs):
    """Behind a proxy, TRUSTED_PROXIES must name it (``check --deploy``).

    A deployment that trusts the proxy's X-Forwarded-Proto sits behind one. If
    TRUSTED_PROXIES does not name it, every client has the proxy's address: the
    audit log records that address for everyone, and a lockout by address (if
    SIGN_IN_ADDRESS_FAILURE_LIMIT is set) locks everyone out.
    """
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.TRUSTED_PROXIES:
        return [
            Error(
                "The portal trusts a proxy's X-Forwarded-Proto (TRUST_X_FORWARDED_PROTO, "
                "SECURE_PROXY_SSL_HEADER) but TRUSTED_PROXIES is empty: every client would "
                "have the proxy's address in the audit log and in sign-in throttling.",
                hint="Set TRUSTED_PROXIES to the proxy's addresses or networks "
                "(README: Production).",
                id="accounts.E001",
            )
        ]
    return []
