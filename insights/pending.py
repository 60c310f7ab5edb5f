"""The coalescing marker of a merchant's roll-up (see ``insights.receivers``): at most one roll-up
pending per merchant. Every process must share the cache (production's settings insist on it)."""

from __future__ import annotations

import math

from django.core.cache import cache

# The cache's key function prefixes the current schema (django_tenants.cache.make_key): set and
# cleared in the merchant's schema, the marker is that merchant's.
_KEY = "platform-rollup-pending"


def mark_rollup_pending(*, window: float) -> bool:
    """True when no roll-up is pending for the current merchant yet."""
    # Whole seconds (Redis rounds down: 0 would store nothing); the task clears it anyway.
    return cache.add(_KEY, 1, timeout=max(1, math.ceil(window)))


def clear_rollup_pending() -> None:
    """Called by the roll-up task, in the merchant's schema, before it reads."""
    cache.delete(_KEY)
