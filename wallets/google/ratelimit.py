"""One pace for every request we send Google for an issuer, whichever worker sends it.

Google allows about 20 requests per second per issuer, and every merchant shares the platform's
issuer. Each request first reserves the next free slot of a schedule spaced ``1 /
GOOGLE_WALLET_MAX_RPS`` seconds apart (the "generic cell rate" form of a token bucket), then
sleeps until it. With a Redis broker the schedule lives in that Redis and every worker process
shares it (one atomic script, one round trip per request); without a broker (development, one
process) it lives in the process.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Protocol

import redis
from django.conf import settings

KEY_PREFIX = "google-wallet:pace:"

# KEYS[1]: the issuer's schedule. ARGV[1]: the spacing in microseconds. Returns how many
# microseconds the caller waits for its slot. The clock is Redis's own, the same for all workers.
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local spacing = tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(next_free, now)
redis.call('SET', KEYS[1], string.format('%d', slot + spacing), 'PX',
           math.floor((slot + spacing - now) / 1000) + 1000)
return slot - now
"""


class Pace(Protocol):
    def reserve(self, key: str, spacing_us: int) -> float:
        """Seconds until the caller's slot."""


class LocalPace:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_free: dict[str, float] = {}

    def reserve(self, key: str, spacing_us: int) -> float:
        with self._lock:
            now = time.monotonic()
            slot = max(self._next_free.get(key, 0.0), now)
            self._next_free[key] = slot + spacing_us / 1_000_000
            return slot - now


class RedisPace:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(_RESERVE)

    def reserve(self, key: str, spacing_us: int) -> float:
        return int(self._script(keys=[KEY_PREFIX + key], args=[spacing_us])) / 1_000_000


@lru_cache(maxsize=4)
def _pace_for(broker_url: str) -> Pace:
    if broker_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisPace(broker_url)
    return LocalPace()


def pace() -> Pace:
    return _pace_for(settings.CELERY_BROKER_URL)


def wait_for_slot(issuer_id: str) -> float:
    """Block until this process may send the issuer one request; returns the seconds waited.

    ``GOOGLE_WALLET_MAX_RPS`` of 0 (or less) sends without waiting (benchmarks).
    """
    rate = settings.GOOGLE_WALLET_MAX_RPS
    if rate <= 0:
        return 0.0
    wait = pace().reserve(issuer_id, max(1, round(1_000_000 / rate)))
    if wait > 0:
        time.sleep(wait)
    return max(0.0, wait)
