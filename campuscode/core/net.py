"""The client's address: one function for lockouts, rate limits, honesty flags and audit.

Behind the reverse proxy the README recommends, every request reaches the application from
the proxy's address (REMOTE_ADDR), and the client's own address is in X-Forwarded-For.
That header is trusted only when REMOTE_ADDR is one of CAMPUSCODE_TRUSTED_PROXIES; from
anyone else it is ignored, because any client can send it. django-ipware reads the chain:
each of the CAMPUSCODE_PROXY_COUNT proxies appends the address it received the request
from, so the client is the entry that many places from the right end, and whatever the
client itself put further left is never used.

Gunicorn's --forwarded-allow-ips does not change REMOTE_ADDR (it only governs the scheme
headers gunicorn reads); the trusted-proxy setting here is what makes the address right.
"""

import functools
import ipaddress

from django.conf import settings
from ipware import get_client_ip

# Forwarded headers that only a trusted proxy may set; ForwardedHeadersMiddleware drops
# them from anyone else so no later code (Django's SECURE_PROXY_SSL_HEADER, for one)
# can be misled by a client that sends them itself.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED")


@functools.cache
def _trusted_networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def is_trusted_proxy(address: str | None) -> bool:
    networks = _trusted_networks(tuple(settings.CAMPUSCODE_TRUSTED_PROXIES))
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


class _Chain:
    """What ipware reads: the forwarded chain with the proxy that handed it to us last."""

    def __init__(self, chain: str):
        self.META = {"HTTP_X_FORWARDED_FOR": chain}


def client_ip(request) -> str | None:
    """The address of the client that sent `request` (None without a request)."""
    if request is None:
        return None
    peer = request.META.get("REMOTE_ADDR") or None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").strip()
    if not forwarded or not is_trusted_proxy(peer):
        return peer
    ip, _routable = get_client_ip(
        _Chain(f"{forwarded}, {peer}"),
        proxy_count=settings.CAMPUSCODE_PROXY_COUNT,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    # A chain shorter than the configured proxies (a request that skipped one of them)
    # says nothing trustworthy: the address we can vouch for is the proxy's.
    return ip or peer


def ratelimit_ip(request) -> str:
    """django-ratelimit's `key="ip"` (RATELIMIT_IP_META_KEY): the client's address, or one
    shared stand-in when there is none (a request over a Unix socket has no REMOTE_ADDR)."""
    return client_ip(request) or "0.0.0.0"  # noqa: S104 (a key, not an address to bind)


def ratelimit_rate(name: str):
    """A django-ratelimit `rate` callable reading RATELIMITS[name] at request time."""

    def rate(group, request) -> str:
        return settings.RATELIMITS[name]

    rate.__name__ = f"rate_{name}"
    return rate


class ForwardedHeadersMiddleware:
    """First in the chain: forwarded headers from a peer that is not a trusted proxy are
    removed, so nothing after this can read a client's forged address or scheme."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if any(h in meta for h in FORWARDED_HEADERS) and not is_trusted_proxy(
            meta.get("REMOTE_ADDR")
        ):
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
