"""The wallets listen to the engine's announcements (connected in WalletsConfig.ready()).

Receivers run after commit in the process that committed, often inside a cashier's request: they
only decide whether an update is due and queue it, at the end of the coalescing window
(``common.coalescing``): an Apple push for cards some device holds, a Google Wallet sync for every
card (its object is inserted on enrollment and patched on every change).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.conf import settings
from django.db import connection

from common import coalescing
from common.coalescing import mark_pending
from wallets.apple.push import has_registrations
from wallets.config import apple_configured, google_configured
from wallets.services import forget_erased_holder
from wallets.tasks import (
    forget_erased_devices_task,
    google_sync_cards_task,
    google_sync_program_task,
    push_cards_task,
    push_program_task,
)

logger = logging.getLogger("wallets")


# Background threads (no broker) carry this prefix: tests and callers can wait for them.
THREAD_PREFIX = "wallet-"


def queue_task(task: Task, *, kwargs: dict[str, Any], window: float) -> None:
    coalescing.queue_task(task, kwargs=kwargs, window=window, thread_prefix=THREAD_PREFIX)


def _queue_once(task: Task, *, kind: str, pk: int, kwargs: dict[str, Any], window: float) -> None:
    if mark_pending(kind=kind, schema_name=connection.schema_name, pk=pk, window=window):
        queue_task(task, kwargs=kwargs, window=window)


def push_card(*, card_id: int) -> None:
    if not apple_configured():
        return
    # Most cards have no pass on a device: no task, no marker.
    if not has_registrations(card_id=card_id):
        return
    window = settings.APPLE_PUSH_COALESCE_SECONDS
    _queue_once(
        push_cards_task,
        kind="apple-card",
        pk=card_id,
        kwargs={"card_ids": [card_id]},
        window=window,
    )


def sync_google_card(*, card_id: int) -> None:
    if not google_configured():
        return
    window = settings.GOOGLE_WALLET_COALESCE_SECONDS
    _queue_once(
        google_sync_cards_task,
        kind="google-card",
        pk=card_id,
        kwargs={"card_ids": [card_id]},
        window=window,
    )


def on_card_changed(sender: type, *, card_id: int, **kwargs: Any) -> None:
    push_card(card_id=card_id)
    sync_google_card(card_id=card_id)  # "enrolled" inserts the object


def on_card_deactivated(sender: type, *, card_id: int, **kwargs: Any) -> None:
    push_card(card_id=card_id)  # the pass shows itself voided
    sync_google_card(card_id=card_id)  # the object becomes INACTIVE


def on_program_changed(sender: type, *, program_id: int, **kwargs: Any) -> None:
    kwargs = {"program_id": program_id}
    if apple_configured():
        window = settings.APPLE_PUSH_COALESCE_SECONDS
        _queue_once(
            push_program_task, kind="apple-program", pk=program_id, kwargs=kwargs, window=window
        )
    if google_configured():
        window = settings.GOOGLE_WALLET_COALESCE_SECONDS
        _queue_once(
            google_sync_program_task,
            kind="google-program",
            pk=program_id,
            kwargs=kwargs,
            window=window,
        )


def on_customer_erased(sender: type, *, card_ids: list[int], **kwargs: Any) -> None:
    # A few rows in this merchant's schema, no network: done here, after the erasure's commit.
    # The cards' deactivation already queued the Google sync that makes their objects INACTIVE
    # and the Apple push that makes the devices fetch the voided pass: the devices' registrations
    # go once they had time to (a device without one would keep the old pass).
    forget_erased_holder(card_ids=card_ids)
    coalescing.queue_task(
        forget_erased_devices_task,
        kwargs={"card_ids": card_ids},
        window=settings.WALLET_ERASURE_GRACE_SECONDS,
        # Not one of the quick "wallet-" updates that tests and callers wait for.
        thread_prefix="erasure-grace-",
    )
