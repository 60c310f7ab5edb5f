"""Google Wallet's REST API for loyalty classes and objects (``walletobjects/v1``), the way Google
asks to be called: every request paced (``ratelimit``), authenticated with the service account's
access token, and answered as one of three outcomes.

- accepted: the resource as Google now holds it;
- ``GoogleTransientError``: 429, 5xx, a quota refusal, or no answer at all, still so after a few
  attempts here with exponential backoff: the caller's task tries again later;
- ``GoogleRejectedError``: any other 4xx, a permanent refusal of this body: recorded, not retried.

A patch of a resource Google does not know (404) becomes an insert, and an insert of one it already
has (409) becomes a patch, so callers need not know what Google holds.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import redis
from django.conf import settings

from wallets.google.credentials import GoogleCredentialsError, load_account
from wallets.google.ratelimit import wait_for_slot

logger = logging.getLogger("wallets.google")

API_PATH = "walletobjects/v1"
ATTEMPTS = 4  # in one call; then the task retries later
BACKOFF_SECONDS = 0.5  # 0.5, 1, 2 (+ jitter), or what Retry-After asks, at most MAX_BACKOFF
MAX_BACKOFF_SECONDS = 8.0
QUOTA_REASONS = {"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded"}


class GoogleError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GoogleTransientError(GoogleError):
    """Google did not take the request this time (quota, overload, network): try again later."""


class GoogleRejectedError(GoogleError):
    """Google refused the request for good (the body, the ids or the account are wrong)."""


@dataclass(frozen=True)
class Resource:
    kind: str  # "loyaltyClass" or "loyaltyObject"
    resource_id: str
    issuer_id: str


_client_lock = threading.Lock()
_client: httpx.Client | None = None


def http() -> httpx.Client:
    """One connection pool per process, shared by its threads."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                http2=True,
                timeout=settings.GOOGLE_WALLET_TIMEOUT_SECONDS,
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
            )
        return _client


def close() -> None:
    global _client
    with _client_lock:
        if _client is not None:
            _client.close()
            _client = None


def _url(kind: str, resource_id: str | None = None) -> str:
    root = settings.GOOGLE_WALLET_API_URL.rstrip("/")
    url = f"{root}/{API_PATH}/{kind}"
    return f"{url}/{resource_id}" if resource_id else url


def _error_of(response: httpx.Response) -> tuple[str, set[str]]:
    """Google's message and reasons (``{"error": {"message", "errors": [{"reason"}]}}``)."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        return response.text[:300] or response.reason_phrase, set()
    if not isinstance(error, dict):
        return str(error)[:300], set()
    reasons = {str(item.get("reason", "")) for item in error.get("errors", []) or []}
    if error.get("status"):
        reasons.add(str(error["status"]))
    return str(error.get("message") or response.reason_phrase)[:500], reasons


def _retry_after(response: httpx.Response | None, attempt: int) -> float:
    if response is not None:
        try:
            return min(MAX_BACKOFF_SECONDS, float(response.headers["Retry-After"]))
        except (KeyError, ValueError):
            pass
    delay = BACKOFF_SECONDS * 2**attempt
    jitter = random.uniform(0, delay / 2)  # noqa: S311 (spreading retries, not a secret)
    return min(MAX_BACKOFF_SECONDS, delay + jitter)


def _send(method: str, url: str, *, issuer_id: str, body: dict[str, Any] | None) -> httpx.Response:
    """One request, paced and authenticated; retried here while Google asks us to slow down."""
    try:
        account = load_account()
    except GoogleCredentialsError as error:
        # The platform's set-up, not this resource: later, once the file is readable again.
        raise GoogleTransientError(str(error)) from None
    response: httpx.Response | None = None
    last_problem = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(_retry_after(response, attempt - 1))
        response = None
        try:
            # The token and the connection pool first: fetching the one (once an hour) or
            # building the other (once a process) after the slot would send this request late
            # and bunch it with the next ones, past the rate.
            token = account.access_token()
            session = http()
            wait_for_slot(issuer_id)
            response = session.request(
                method,
                url,
                content=json.dumps(body).encode() if body is not None else None,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json; charset=utf-8",
                },
            )
        except httpx.HTTPError as error:
            last_problem = f"no answer from Google ({type(error).__name__})"
            continue
        except redis.RedisError as error:
            last_problem = f"the shared pace is unreachable ({type(error).__name__})"
            continue
        except GoogleCredentialsError as error:
            last_problem = str(error)
            continue
        status = response.status_code
        if status < 400:
            return response
        message, reasons = _error_of(response)
        if status == 401 and attempt == 0:
            account.expire_token()  # revoked or expired early: one more try with a new token
            last_problem = f"401 {message}"
            continue
        if status == 429 or status >= 500 or (status == 403 and reasons & QUOTA_REASONS):
            last_problem = f"{status} {message}"
            continue
        if status in (404, 409):
            return response  # the caller turns these around (patch ⇄ insert)
        raise GoogleRejectedError(f"{status} {message}", status=status)
    raise GoogleTransientError(
        f"{last_problem} (after {ATTEMPTS} attempts)",
        status=response.status_code if response is not None else None,
    )


def _accepted(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def insert(resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """Create the resource; when Google has it already (409), patch it with the whole body."""
    response = _send("POST", _url(resource.kind), issuer_id=resource.issuer_id, body=body)
    if response.status_code == 409:
        return patch(resource, body, insert_if_missing=False)
    if response.status_code == 404:
        message, _reasons = _error_of(response)
        raise GoogleRejectedError(f"404 {message}", status=404)
    return _accepted(response)


def patch(
    resource: Resource,
    changes: dict[str, Any],
    *,
    full_body: dict[str, Any] | None = None,
    insert_if_missing: bool = True,
) -> dict[str, Any]:
    """Change only the given top-level fields; when Google does not know the resource (404),
    insert it with ``full_body`` (the changes alone may not make a whole resource)."""
    response = _send(
        "PATCH",
        _url(resource.kind, resource.resource_id),
        issuer_id=resource.issuer_id,
        body=changes,
    )
    if response.status_code == 404:
        if not insert_if_missing:
            message, _reasons = _error_of(response)
            raise GoogleRejectedError(f"404 {message}", status=404)
        return insert(resource, full_body if full_body is not None else changes)
    if response.status_code == 409:
        message, _reasons = _error_of(response)
        raise GoogleRejectedError(f"409 {message}", status=409)
    return _accepted(response)


def add_message(resource: Resource, message: dict[str, Any]) -> dict[str, Any]:
    """Add ``message`` (Google's ``Message``: header, body, id, messageType) to an object
    (``loyaltyObject/{id}/addMessage``); returns the object as Google now holds it. An object
    Google does not have (404) cannot take a message: GoogleRejectedError."""
    response = _send(
        "POST",
        f"{_url(resource.kind, resource.resource_id)}/addMessage",
        issuer_id=resource.issuer_id,
        body={"message": message},
    )
    if response.status_code in (404, 409):
        message_text, _reasons = _error_of(response)
        raise GoogleRejectedError(
            f"{response.status_code} {message_text}", status=response.status_code
        )
    return _accepted(response).get("resource") or {}
