"""Background work of the wallets. Tasks take ids, run in their merchant's schema (the schema they
were queued from) and are safe to run twice: a push says only "something changed", and a Google
sync sends the latest state (or nothing, when Google has it)."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.db import OperationalError, connection

from common.coalescing import clear_pending
from programs.models import LoyaltyProgram
from wallets.apple.push import push_to_cards, registered_card_batches
from wallets.config import google_configured
from wallets.google.client import GoogleTransientError
from wallets.google.sync import card_batches, sync_cards, sync_class
from wallets.services import forget_erased_devices

logger = logging.getLogger("wallets.apns")
google_logger = logging.getLogger("wallets.google")

# Cards per programme push task: one APNs connection carries the whole batch concurrently.
PROGRAM_PUSH_BATCH = 500
PUSH_RETRIES = 5


def _retry_failed(task: Task, *, card_ids: list[int], registration_ids: list[int]) -> None:
    if task.request.is_eager:
        # No broker (development): nothing can run later, and Celery would retry at once, in a
        # loop. The in-task attempts were all; the next change pushes again.
        logger.warning(
            "%d APNs pushes not delivered; no broker to retry them", len(registration_ids)
        )
        return
    # Only the registrations APNs did not answer for; backoff 2, 4, 8 … seconds (max 5 minutes).
    countdown = min(300, 2 ** (task.request.retries + 1))
    raise task.retry(
        kwargs={"card_ids": card_ids, "registration_ids": registration_ids},
        countdown=countdown,
        max_retries=PUSH_RETRIES,
    )


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def push_cards_task(
    self: Task, card_ids: list[int], registration_ids: list[int] | None = None
) -> dict[str, int]:
    """Tell every device registered for these cards' Apple passes that they changed."""
    if registration_ids is None:
        for card_id in card_ids:
            clear_pending(kind="apple-card", schema_name=connection.schema_name, pk=card_id)
    report = push_to_cards(card_ids=card_ids, registration_ids=registration_ids)
    if report.retry_registration_ids:
        _retry_failed(self, card_ids=card_ids, registration_ids=report.retry_registration_ids)
    return {"delivered": report.delivered, "removed": report.removed, "dropped": report.dropped}


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def push_program_task(program_id: int) -> int:
    """A programme's look or rules changed: push every registered card of it, in batches.
    Returns how many batch tasks were queued."""
    clear_pending(kind="apple-program", schema_name=connection.schema_name, pk=program_id)
    batches = 0
    for card_ids in registered_card_batches(program_id=program_id, size=PROGRAM_PUSH_BATCH):
        push_cards_task.delay(card_ids=card_ids)
        batches += 1
    return batches


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def forget_erased_devices_task(card_ids: list[int]) -> int:
    """An erased customer's Apple registrations, deleted after the grace period."""
    return forget_erased_devices(card_ids=card_ids)


# --- Google Wallet

GOOGLE_BATCH = 500  # cards per sync task of a programme or a merchant
GOOGLE_RETRIES = 8  # 2 s … ~4 min apart, about 8 minutes in all


def _google_retry(task: Task, *, card_ids: list[int]) -> None:
    if task.request.is_eager:
        google_logger.warning(
            "%d Google Wallet objects not synced; no broker to retry them", len(card_ids)
        )
        return
    countdown = min(300, 2 ** (task.request.retries + 1))
    raise task.retry(kwargs={"card_ids": card_ids}, countdown=countdown, max_retries=GOOGLE_RETRIES)


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def google_sync_cards_task(self: Task, card_ids: list[int], force: bool = False) -> dict[str, int]:
    """Bring these cards' Google Wallet objects up to date (insert or patch what changed)."""
    if not google_configured():
        return {}
    if self.request.retries == 0:
        for card_id in card_ids:
            clear_pending(kind="google-card", schema_name=connection.schema_name, pk=card_id)
    report = sync_cards(card_ids, force=force)
    if report.retry_card_ids:
        _google_retry(self, card_ids=report.retry_card_ids)
    return {
        "inserted": report.inserted,
        "patched": report.patched,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "notified": report.notified,
    }


def _sync_program(task: Task, program_id: int, *, resync: bool, force: bool = False) -> int:
    """The programme's class, then its cards' objects in batch tasks; how many were queued."""
    if not google_configured():
        return 0
    program = LoyaltyProgram.objects.select_related("wallet").filter(pk=program_id).first()
    if program is None:
        return 0
    try:
        sync_class(program, force=resync)
    except GoogleTransientError as error:
        if task.request.is_eager:
            google_logger.warning(
                "Google Wallet class of programme %s not synced: %s", program_id, error
            )
            return 0
        raise task.retry(
            countdown=min(300, 2 ** (task.request.retries + 1)), max_retries=GOOGLE_RETRIES
        ) from None
    batches = 0
    for card_ids in card_batches(
        program_id=program_id, only_inserted=not resync, size=GOOGLE_BATCH
    ):
        google_sync_cards_task.delay(card_ids=card_ids, force=force)
        batches += 1
    return batches


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def google_sync_program_task(self: Task, program_id: int) -> int:
    """A programme changed: its class once, then its cards' objects in batches (only the fields
    that changed are sent; an object the change does not touch costs no request). Returns how
    many batch tasks were queued."""
    clear_pending(kind="google-program", schema_name=connection.schema_name, pk=program_id)
    return _sync_program(self, program_id, resync=False)


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def google_resync_program_task(self: Task, program_id: int, force: bool = False) -> int:
    """The back office's "Sync with Google Wallet": the programme's class sent whole, then every
    card's object in batches, those Google does not have yet included (inserted), those it
    refused tried again. ``force`` also re-sends objects we believe unchanged. Returns how many
    batch tasks were queued."""
    return _sync_program(self, program_id, resync=True, force=force)
