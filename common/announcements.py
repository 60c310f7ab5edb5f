"""Announcing a change after it commits, to listeners the announcing code does not know.

Domain apps define their signals (``cards.signals.card_changed``, ``programs.signals.
program_changed``, …) and announce through :func:`announce_after_commit`; other apps (wallets,
later analytics, messaging, webhooks) connect receivers in their own ``AppConfig.ready()``.

A receiver runs after the transaction commits, in the process that committed it, so it must be
quick: it enqueues a task that takes ids, re-reads the latest state and is safe to run twice. A
receiver that raises is logged with its traceback and the other receivers still run: a listener can
never turn a committed operation into an error response.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger("announcements")


def announce_after_commit(signal: Signal, *, sender: type, **payload: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside a transaction);
    nothing is sent if it rolls back."""
    transaction.on_commit(partial(send_robustly, signal, sender=sender, **payload))


def send_robustly(signal: Signal, *, sender: type, **payload: Any) -> None:
    for receiver, result in signal.send_robust(sender=sender, **payload):
        if isinstance(result, Exception):
            logger.error(
                "listener %s failed on %s %s",
                getattr(receiver, "__qualname__", repr(receiver)),
                sender.__name__,
                payload,
                exc_info=(type(result), result, result.__traceback__),
            )
