"""Who is asking, for the audit ledger: client IP (through trusted proxies only), user agent,
the interface used, the request's Idempotency-Key, and one clock reading for the whole
operation."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone


@dataclass(frozen=True)
class RequestMeta:
    source: str
    ip_address: str | None = None
    user_agent: str = ""
    # Recorded on ledger rows for the audit; replays are the idempotency helper's business.
    idempotency_key: str | None = None
    now: datetime = field(default_factory=timezone.now)

    @classmethod
    def from_request(
        cls, request: HttpRequest, *, source: str, idempotency_key: str | None = None
    ) -> RequestMeta:
        key = idempotency_key or request.headers.get("Idempotency-Key", "").strip()
        return cls(
            source=source,
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:400],
            idempotency_key=key[:200] or None,
        )

    @classmethod
    def system(cls) -> RequestMeta:
        return cls(source="system")


@cache
def _trusted_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in settings.TRUSTED_PROXIES)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or — when it is a trusted proxy — the nearest untrusted X-Forwarded-For hop.

    A client can put anything in X-Forwarded-For; only hops appended by our own proxies count.
    """
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return None
    trusted = _trusted_networks()

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in trusted)

    if not is_trusted(remote):
        return str(remote)
    hops = [_parse(hop) for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(hops):
        if hop is None:
            break
        if not is_trusted(hop):
            return str(hop)
    return str(remote)
