"""Maintenance run by beat tasks: points expiry."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from cards.models import LoyaltyCard, TransactionType
from cards.signals import card_changed
from common.announcements import announce_after_commit

_EXPIRE_BATCH_SQL = """
WITH due AS (
    SELECT card.id, card.points_balance, card.stamp_count, card.store_id
    FROM cards_loyaltycard AS card
    JOIN programs_loyaltyprogram AS program ON program.id = card.program_id
    WHERE program.points_expiration_days IS NOT NULL
      AND card.points_balance > 0
      AND COALESCE(card.last_activity_at, card.created_at)
          < %(now)s - make_interval(days => program.points_expiration_days)
    ORDER BY card.id
    LIMIT %(batch)s
    FOR UPDATE OF card SKIP LOCKED
), emptied AS (
    UPDATE cards_loyaltycard AS card SET points_balance = 0, updated_at = %(now)s
    FROM due WHERE card.id = due.id
    RETURNING card.id
)
INSERT INTO cards_loyaltytransaction (
    card_id, store_id, transaction_type, stamps_delta, points_delta, stamps_after, points_after,
    reward_id, reward_description, source, user_agent, notes, created_at
)
SELECT due.id, due.store_id, 'points_expired', 0, -due.points_balance, due.stamp_count, 0,
       '', '', 'system', '', '', %(now)s
FROM due JOIN emptied ON emptied.id = due.id
RETURNING card_id, id
"""


def expire_points(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Expire the balance of cards inactive for their programme's ``points_expiration_days``.

    Set-based (one statement per batch of cards, not one query per card); safe to run twice, since
    an expired card has nothing left to expire; cards busy in an operation right now are skipped
    (they are active, so not due). Returns how many cards expired.
    """
    now = now or timezone.now()
    expired: list[int] = []
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_EXPIRE_BATCH_SQL, {"now": now, "batch": batch_size})
            batch = cursor.fetchall()
        expired.extend(card_id for card_id, _txn_id in batch)
        for card_id, txn_id in batch:
            announce_after_commit(
                card_changed,
                sender=LoyaltyCard,
                card_id=card_id,
                transaction_id=txn_id,
                reason=TransactionType.POINTS_EXPIRED,
            )
        if len(batch) < batch_size:
            return len(expired)
