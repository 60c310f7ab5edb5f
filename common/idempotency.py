"""Idempotent writes: a retry with the same ``Idempotency-Key`` from the same caller gets the first
response back and writes nothing (SPEC §3).

One helper serves every write interface (API endpoints, the staff terminal's forms). It wraps the
operation in a transaction and stores the response the interface rendered in that same
transaction, so the two commit together or not at all; the services underneath know nothing of
keys and return domain results.

It is optimistic: the record is inserted after the operation, and the unique (caller, key) index
decides. A first request (the common case) costs one INSERT more than without a key. A retry runs
the operation again, inside a transaction that then fails on the index and is rolled back whole,
and answers the stored response; a concurrent twin waits on the same row locks and index entry
and ends the same way. Nothing is ever applied twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError, Conflict
from common.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class IdempotencyKeyReused(Conflict):
    default_code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used for a different request.")


class InvalidIdempotencyKey(ApplicationError):
    status_code = 400
    default_code = "invalid"
    default_message = _("Use a printable key of at most 200 characters.")

    def __init__(self) -> None:
        super().__init__(errors={HEADER: [str(self.default_message)]})


@dataclass(frozen=True)
class IdempotencyKey:
    caller: str  # whose key it is: "api-key:12", "user:3", "client:203.0.113.9"
    key: str
    fingerprint: str  # of the request: the same key may not mean two things

    @classmethod
    def parse(cls, raw: str, *, caller: str, request: Any) -> IdempotencyKey | None:
        """The key sent in the header (None: no header); ``request`` is what it must always mean
        (e.g. the path and body), compared on every retry."""
        key = raw.strip()
        if not key:
            return None
        if len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise InvalidIdempotencyKey()
        return cls(caller=caller, key=key, fingerprint=fingerprint(request))


def fingerprint(request: Any) -> str:
    canonical = json.dumps(request, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What an interface answered: its status and body (stored), and on a first run the
    interface's own result (never stored: a replay has only the status and body)."""

    status_code: int
    body: Any
    replayed: bool = False
    result: Any = field(default=None, compare=False, repr=False)


def run_idempotently(key: IdempotencyKey | None, perform: Callable[[], Outcome]) -> Outcome:
    """Run ``perform`` once per key. A refusal (ApplicationError) is stored too, with whatever its
    transaction wrote (a PIN failure counts), and raised; a retry gets it back as an Outcome.
    Other errors (invalid input) roll back and store nothing: fixing the request and sending it
    again with the same key is allowed."""
    if key is None:
        return perform()
    refusal: ApplicationError | None = None
    try:
        with transaction.atomic():
            try:
                outcome = perform()
            except ApplicationError as error:
                refusal = error
                outcome = Outcome(error.status_code, error.as_dict())
            IdempotencyRecord.objects.create(
                caller=key.caller,
                key=key.key,
                fingerprint=key.fingerprint,
                status_code=outcome.status_code,
                response_body=outcome.body,
            )
    except Exception:
        # The key was used before, or by a twin that committed while we worked: the unique index
        # refused our record (or the operation, run again, refused itself: a PIN already set, a
        # name taken). Everything we did is rolled back; answer what the first request got.
        replay = _replay(key)
        if replay is None:
            raise
        return replay
    if refusal is not None:
        raise refusal
    return outcome


def _replay(key: IdempotencyKey) -> Outcome | None:
    record = IdempotencyRecord.objects.filter(caller=key.caller, key=key.key).first()
    if record is None:
        return None
    if record.fingerprint != key.fingerprint:
        raise IdempotencyKeyReused()
    return Outcome(record.status_code, record.response_body, replayed=True)


def purge_idempotency_records(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Forget stored responses older than ``older_than`` in the current schema; a retry after
    that is a new request. Returns how many were removed."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
