"""Where a request came from: the one answer for the audit log and sign-in throttling.

Only a proxy the deployment names in ``TRUSTED_PROXIES`` may speak for the
client. Without one the peer's own address (REMOTE_ADDR) is the answer and an
X-Forwarded-For header is ignored, since anyone can send one. Behind trusted
proxies the answer is the right-most X-Forwarded-For address that is not one
of them: each proxy appends the peer it saw, so everything to the left of the
first untrusted hop may be forged by the client.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str | None) -> Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's IP address as text, or None when there is no usable one.

    Anything that is not an IP address (a Unix socket's peer, say) is None:
    the audit log's column, an ``inet`` on PostgreSQL, would refuse it.
    """
    if request is None:
        return None
    peer = _address(request.META.get("REMOTE_ADDR"))
    if peer is None:
        return None
    networks = trusted_networks(tuple(settings.TRUSTED_PROXIES))

    def trusted(address: Address) -> bool:
        return any(address in network for network in networks)

    if not trusted(peer):
        return str(peer)
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # A trusted proxy never writes this: stop at the last address it vouched for.
            break
        client = address
        if not trusted(address):
            break
    return str(client)
