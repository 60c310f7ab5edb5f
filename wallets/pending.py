"""Coalescing a burst of changes into one update per wallet.

The first change to a card (or programme) within the window queues its update for the end of the
window and leaves a marker; later changes in the window see the marker and queue nothing. The task
clears the marker before it reads the card, so a change after that queues again, and the update
always carries the latest state. Every process must share the cache (production's settings insist
on it).
"""

from __future__ import annotations

import math

from django.core.cache import cache


def _key(kind: str, schema_name: str, pk: int) -> str:
    # kind: "apple-card", "apple-program", "google-card", "google-program"
    return f"wallet-pending:{kind}:{schema_name}:{pk}"


def mark_pending(*, kind: str, schema_name: str, pk: int, window: float) -> bool:
    """True when no update of this kind is pending for this card or programme yet."""
    # Whole seconds (Redis rounds down: 0 would store nothing). The task clears the marker before
    # it works, so the rounding up never costs an update.
    return cache.add(_key(kind, schema_name, pk), 1, timeout=max(1, math.ceil(window)))


def clear_pending(*, kind: str, schema_name: str, pk: int) -> None:
    cache.delete(_key(kind, schema_name, pk))
