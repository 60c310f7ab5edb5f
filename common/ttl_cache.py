"""A small in-process cache with a time-to-live, for hot lookups that change rarely (host names,
API keys). Each process has its own copy: a change reaches other processes within the TTL, and
the process that made it at once (callers invalidate on write)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
_MISSING = object()


class TTLCache(Generic[V]):
    def __init__(self, *, seconds: float, max_entries: int = 10_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        if self.seconds <= 0:
            return load()
        now = time.monotonic()
        entry = self._entries.get(key, _MISSING)
        if entry is not _MISSING and entry[0] > now:  # type: ignore[index]
            return entry[1]  # type: ignore[index]
        value = load()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now + self.seconds, value)
        return value

    def invalidate(self, key: Hashable | None = None) -> None:
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
