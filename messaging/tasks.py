"""Background work of the messages. Tasks take ids, run in their merchant's schema and are safe to
run twice (a delivery is decided once; the wallets drop a repeated message id)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from merchants.fanout import queue_for_each_merchant
from messaging.automations import card_event, daily_automations
from messaging.services import deliver, due_work, start_campaign


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def start_campaign_task(message_id: int) -> int:
    """Fan a due campaign out and queue its delivery batches; returns how many."""
    batches = start_campaign(message_id=message_id)
    for delivery_ids in batches:
        deliver_task.delay(delivery_ids=delivery_ids)
    return len(batches)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def deliver_task(delivery_ids: list[int]) -> dict[str, object]:
    """Deliver a batch (a campaign's, an automation's, or those whose quiet hours ended)."""
    report = deliver(delivery_ids=delivery_ids)
    return {
        "sent": report.sent,
        "skipped": report.skipped,
        "waiting": report.waiting,
        "failed": report.failed,
    }


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def sweep_messages_task() -> int:
    """Start the campaigns that are due and send what waited for quiet hours to end (the
    current merchant's); returns how many tasks were queued."""
    campaigns, waiting = due_work()
    for message_id in campaigns:
        start_campaign_task.delay(message_id=message_id)
    for delivery_ids in waiting:
        deliver_task.delay(delivery_ids=delivery_ids)
    return len(campaigns) + len(waiting)


@shared_task(acks_late=True)
def sweep_messages_everywhere_task() -> int:
    """The beat entry: one sweep per active merchant."""
    return queue_for_each_merchant(sweep_messages_task)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def card_event_task(card_id: int, reason: str, transaction_id: int | None = None) -> int:
    """The event automations a card's change made due (welcome, one stamp away, reward ready),
    written and their delivery queued; returns how many deliveries are pending."""
    pending = card_event(card_id=card_id, reason=reason, transaction_id=transaction_id)
    if pending:
        deliver_task.delay(delivery_ids=pending)
    return len(pending)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def daily_automations_task() -> int:
    """The daily automations of the current merchant (reward not redeemed, win-back, points
    expiring, birthday): their deliveries written in bulk and queued in batches; returns how
    many batches."""
    batches = daily_automations()
    for delivery_ids in batches:
        deliver_task.delay(delivery_ids=delivery_ids)
    return len(batches)


@shared_task(acks_late=True)
def daily_automations_everywhere_task() -> int:
    """The daily beat entry: one sweep of the daily automations per active merchant."""
    return queue_for_each_merchant(daily_automations_task)
