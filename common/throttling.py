"""Rate limits per client address, for the API and for pages.

The address is the audit's (``common.request_meta.client_ip``): X-Forwarded-For counts only when
it was appended by one of our TRUSTED_PROXIES, so a client that invents a new header on every
request still spends one budget. DRF's own ``get_ident`` believes the header's hops whenever
NUM_PROXIES is unset. Counters live in the configured cache, which every worker shares (see
CACHES in settings): a per-process cache would give each worker its own budget.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from math import ceil
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle

from common.request_meta import client_ip


class ClientIpRateThrottle(SimpleRateThrottle):
    """A budget per client address for ``scope``, rate from DEFAULT_THROTTLE_RATES[scope]."""

    def __init__(self, scope: str | None = None) -> None:
        if scope is not None:
            self.scope = scope
        super().__init__()

    def get_ident(self, request: Any) -> str:
        return client_ip(request) or "unknown"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


View = Callable[..., HttpResponse]


def throttle_posts(scope: str) -> Callable[[View], View]:
    """Count a page's POSTs against ``scope``'s budget (the API's, when they share a scope); over
    it, a translated 429 page with Retry-After. Showing the form (GET) is never counted."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                throttle = ClientIpRateThrottle(scope)
                if not throttle.allow_request(request, None):
                    wait = throttle.wait()
                    response = render(request, "429.html", status=429)
                    if wait is not None:
                        response["Retry-After"] = str(max(1, ceil(wait)))
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
