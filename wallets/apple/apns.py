"""Telling Apple Wallet that passes changed: APNs over HTTP/2 (``httpx[http2]``'s stack: httpcore
and h2), authenticated with the Pass Type ID certificate as the TLS client certificate.

A pass's update notification is a POST to ``/3/device/<push token>`` with an empty JSON dictionary
as payload, ``apns-topic`` = the pass type identifier and ``apns-push-type: background`` (which
Apple wants sent with ``apns-priority: 5``). The phone then asks our web service which passes
changed and downloads them: the notification carries nothing.

Apple asks providers to keep their connection open rather than open one per notification, so each
process keeps one client (one HTTP/2 connection, many concurrent streams) on an event loop of its
own, and every task of the process sends through it.

A push is CPU-bound on our side (the network round trip overlaps with a hundred others), so the
client talks to httpcore's connection pool directly, the transport under ``httpx.AsyncClient``,
with the headers of a batch built once, and httpcore runs on asyncio's own TLS transport
(wallets/apple/apns_network.py) rather than anyio's. Measured by bench/apple_wallet.py-like runs
of 5,000 pushes, 100 in flight, on the shared development machine: ``httpx.AsyncClient`` ~1.2-1.4
ms of client CPU per push; httpcore's pool directly ~0.72 ms; on the asyncio backend ~0.48 ms.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import os
import ssl
import threading
from collections.abc import Collection, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpcore
from django.conf import settings

from wallets.apple.apns_network import AsyncioBackend
from wallets.apple.credentials import AppleCredentials, load_credentials

logger = logging.getLogger("wallets.apns")

# httpx logs each request's URL at INFO, httpcore, h2 and hpack the headers at DEBUG: an APNs
# URL and its :path end with the device's push token. Whatever the logging configuration, they
# say nothing below a warning in a process that pushes.
for _name in ("httpx", "httpcore", "h2", "hpack"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def _timeouts() -> dict[str, float]:
    # Short, explicit (settings.APNS_TIMEOUT_SECONDS, 5 s by default): a stuck APNs costs a task a
    # few seconds, never a request (pushes run in tasks).
    seconds = settings.APNS_TIMEOUT_SECONDS
    return {"connect": seconds, "read": seconds, "write": seconds, "pool": 2 * seconds}


# Requests in flight at once: httpcore opens at most 100 streams on an HTTP/2 connection, and
# requests queued beyond that cost it a scan of its queue each (measured: more is slower).
CONCURRENCY = 100
# In-task attempts for a token that got 429, 5xx or no answer; then the Celery task retries.
ATTEMPTS = 3
BACKOFF_SECONDS = 0.25  # doubled after each attempt
EMPTY_PAYLOAD = b"{}"


class PushStatus(enum.Enum):
    DELIVERED = "delivered"  # 200
    GONE = "gone"  # 410, or 400 BadDeviceToken / Unregistered: the registration is dead
    RETRY = "retry"  # 429, 5xx, timeout or a broken connection: try again later
    DROPPED = "dropped"  # another 4xx: retrying cannot help (logged)


# 400 reasons that mean the token will never work for this topic.
DEAD_TOKEN_REASONS = frozenset({"BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic"})


@dataclass(frozen=True)
class PushResult:
    status: PushStatus
    code: int = 0  # the HTTP status; 0 when no answer came
    reason: str = ""  # APNs' reason, or the transport error's name
    gone_since_ms: int | None = None  # a 410's timestamp: the token is invalid since then


def token_hint(token: str) -> str:
    """What a log line may show of a push token."""
    return f"{token[:6]}…"


def _classify(response: httpcore.Response) -> PushResult:
    code = response.status
    if code == 200:
        return PushResult(PushStatus.DELIVERED, code)
    reason, timestamp = "", None
    try:
        body = json.loads(response.content)
        reason = str(body.get("reason", ""))
        timestamp = body.get("timestamp")
    except (ValueError, AttributeError):
        pass
    if code == 410 or (code == 400 and reason in DEAD_TOKEN_REASONS):
        since = int(timestamp) if code == 410 and isinstance(timestamp, int | float) else None
        return PushResult(PushStatus.GONE, code, reason, since)
    if code == 429 or code >= 500:
        return PushResult(PushStatus.RETRY, code, reason)
    return PushResult(PushStatus.DROPPED, code, reason)


def _ssl_context(credentials: AppleCredentials) -> ssl.SSLContext:
    context = ssl.create_default_context()  # the system's trust store
    if settings.APNS_CA_FILE:
        context.load_verify_locations(settings.APNS_CA_FILE)
    context.load_cert_chain(
        credentials.cert_file, credentials.key_file, credentials.key_password or None
    )
    return context


def _client_key(credentials: AppleCredentials) -> tuple:
    # A renewed certificate, another endpoint or CA: a new connection.
    return (
        credentials.fingerprint,
        credentials.key_file,
        settings.APNS_URL,
        settings.APNS_CA_FILE,
        settings.APNS_TIMEOUT_SECONDS,
    )


class _Sender:
    """One event loop thread and one HTTP/2 client per process (re-made after a fork)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._client: httpcore.AsyncConnectionPool | None = None
        self._client_key: tuple | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="apns", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def client(self, key: tuple, make: Any) -> httpcore.AsyncConnectionPool:
        if self._client is None or key != self._client_key:
            old, self._client = self._client, make()
            self._client_key = key
            if old is not None:
                await old.aclose()
        return self._client


_sender: _Sender | None = None
_sender_lock = threading.Lock()


def _get_sender() -> _Sender:
    global _sender
    with _sender_lock:
        if _sender is None or _sender.pid != os.getpid():
            _sender = _Sender()
        return _sender


# What httpcore raises when no answer comes: timeouts, refused or broken connections, a
# connection APNs closed (GOAWAY) under our streams (the errors httpx calls TransportError).
_TRANSPORT_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)


async def _post(
    client: httpcore.AsyncConnectionPool,
    url: httpcore.URL,
    headers: list[tuple[bytes, bytes]],
    extensions: dict[str, Any],
) -> PushResult:
    try:
        response = await client.request(
            b"POST", url, headers=headers, content=EMPTY_PAYLOAD, extensions=extensions
        )
    except _TRANSPORT_ERRORS as error:
        return PushResult(PushStatus.RETRY, 0, type(error).__name__)
    return _classify(response)


def _new_pool(credentials: AppleCredentials) -> httpcore.AsyncConnectionPool:
    return httpcore.AsyncConnectionPool(
        ssl_context=_ssl_context(credentials),
        http1=False,  # APNs speaks HTTP/2 only
        http2=True,
        # httpcore sends every request to the first HTTP/2 connection (up to 100 streams on it):
        # more connections would only come in after that one broke.
        max_connections=4,
        keepalive_expiry=600,
        network_backend=AsyncioBackend(),
    )


async def _send_all(
    sender: _Sender,
    key: tuple,
    credentials: AppleCredentials,
    tokens: list[str],
    topic: str,
    base_url: str,
) -> dict[str, PushResult]:
    client = await sender.client(key, lambda: _new_pool(credentials))
    base = httpcore.URL(base_url)
    # Built once for the batch: only the URL's target differs from one push to the next.
    authority = base.host if base.port is None else base.host + b":%d" % base.port
    headers = [
        (b"host", authority),
        (b"apns-topic", topic.encode("ascii")),
        (b"apns-push-type", b"background"),
        (b"apns-priority", b"5"),
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(EMPTY_PAYLOAD)),
    ]
    extensions = {"timeout": _timeouts()}
    prefix = base.target.rstrip(b"/") + b"/3/device/"
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(token: str) -> tuple[str, PushResult]:
        url = httpcore.URL(
            scheme=base.scheme,
            host=base.host,
            port=base.port,
            target=prefix + quote(token, safe="").encode("ascii"),
        )
        async with semaphore:
            return token, await _post(client, url, headers, extensions)

    results: dict[str, PushResult] = {}
    pending = tokens
    for attempt in range(ATTEMPTS):
        if attempt:
            await asyncio.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        for token, result in await asyncio.gather(*(one(token) for token in pending)):
            results[token] = result
        pending = [token for token in pending if results[token].status is PushStatus.RETRY]
        if not pending:
            break
    return results


def send_pushes(tokens: Collection[str], *, topic: str | None = None) -> dict[str, PushResult]:
    """Send one update notification to each push token, concurrently on the process's APNs
    connection; tokens that get 429, 5xx or no answer are tried again (``ATTEMPTS`` in all, with
    backoff). Returns the last result of each token. AppleCredentialsError when Apple Wallet is
    off or its files cannot be read."""
    unique = list(dict.fromkeys(tokens))
    if not unique:
        return {}
    credentials = load_credentials()
    sender = _get_sender()
    results = sender.run(
        _send_all(
            sender,
            _client_key(credentials),
            credentials,
            unique,
            topic or credentials.pass_type_id,
            settings.APNS_URL.rstrip("/"),
        )
    )
    for token, result in results.items():
        if result.status in (PushStatus.DROPPED, PushStatus.RETRY):
            logger.warning(
                "APNs push to %s not delivered: %s %s (%s)",
                token_hint(token),
                result.code or "-",
                result.reason,
                result.status.value,
            )
    return results


def close() -> None:
    """Close this process's APNs connection (tests, shutdown); the next push opens another."""
    global _sender
    with _sender_lock:
        sender, _sender = _sender, None
    if sender is None or sender.pid != os.getpid():
        return
    if sender._client is not None:
        sender.run(sender._client.aclose())
    sender._loop.call_soon_threadsafe(sender._loop.stop)
    sender._thread.join(5)
