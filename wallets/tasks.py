"""Background work of the wallets. Tasks take ids, run in their merchant's schema (the schema they
were queued from) and are safe to run twice: a push says only "something changed"."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.db import OperationalError, connection

from wallets.apple.push import clear_push_pending, push_to_cards, registered_card_batches

logger = logging.getLogger("wallets.apns")

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
            clear_push_pending(kind="card", schema_name=connection.schema_name, pk=card_id)
    report = push_to_cards(card_ids=card_ids, registration_ids=registration_ids)
    if report.retry_registration_ids:
        _retry_failed(self, card_ids=card_ids, registration_ids=report.retry_registration_ids)
    return {"delivered": report.delivered, "removed": report.removed, "dropped": report.dropped}


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def push_program_task(program_id: int) -> int:
    """A programme's look or rules changed: push every registered card of it, in batches.
    Returns how many batch tasks were queued."""
    clear_push_pending(kind="program", schema_name=connection.schema_name, pk=program_id)
    batches = 0
    for card_ids in registered_card_batches(program_id=program_id, size=PROGRAM_PUSH_BATCH):
        push_cards_task.delay(card_ids=card_ids)
        batches += 1
    return batches
