"""When an automation is due for a card. Event automations (welcome, one stamp away, reward
ready) follow the engine's announcements; the daily sweep finds the others."""

from __future__ import annotations

from django.db import transaction

from cards.models import LoyaltyCard, TransactionType
from messaging.models import Trigger
from messaging.services import add_automation_deliveries, enabled_automation

# Operations after which a card may have become one stamp away, or got a reward.
EARNING = {TransactionType.STAMP_EARNED, TransactionType.POINTS_EARNED}


def _queue(delivery_ids: list[int]) -> None:
    from messaging.tasks import deliver_task

    if delivery_ids:
        transaction.on_commit(lambda: deliver_task.delay(delivery_ids=delivery_ids))


def _event_triggers(card: LoyaltyCard, *, reason: str) -> list[str]:
    if reason == "enrolled":
        return [Trigger.WELCOME]
    if reason not in EARNING:
        return []
    if card.stamp_rewards_ready or card.affordable_rewards:
        return [Trigger.REWARD_READY]
    program = card.program
    if (
        program.has_stamps
        and program.stamps_target
        and (card.stamp_count == program.stamps_target - 1)
    ):
        return [Trigger.ONE_STAMP_AWAY]
    return []


def card_event(*, card_id: int, reason: str, transaction_id: int | None = None) -> list[int]:
    """Write the deliveries the card's change makes due; returns their ids (queued)."""
    if reason != "enrolled" and reason not in EARNING:
        return []
    card = LoyaltyCard.objects.select_related("program", "customer").filter(pk=card_id).first()
    if card is None or not card.is_active:
        return []
    queued: list[int] = []
    for trigger in _event_triggers(card, reason=reason):
        message = enabled_automation(trigger)
        if message is None:
            continue
        # One welcome per card; one reward or one-away message per operation that caused it.
        occasion = "" if trigger == Trigger.WELCOME else f"t{transaction_id or 0}"
        queued += add_automation_deliveries(
            message=message,
            cards=[(card.pk, card.customer_id, card.customer.locale, occasion)],
        )
    _queue(queued)
    return queued
