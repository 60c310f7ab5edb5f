"""A card's recent activity as its holder reads it on the card page: the last few ledger rows a
customer cares about (stamps and points earned, rewards, points expired), each with a sentence
("+1 stamp at Main Street", "Reward: Free coffee"), the store and the store's local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from cards.models import LoyaltyCard, LoyaltyTransaction, TransactionType

RECENT_ACTIVITY_LIMIT = 5
# Corrections made in the back office (adjustments) are the merchant's bookkeeping, not a visit.
CUSTOMER_ACTIVITY = (
    TransactionType.STAMP_EARNED,
    TransactionType.STAMP_REDEEMED,
    TransactionType.POINTS_EARNED,
    TransactionType.POINTS_REDEEMED,
    TransactionType.POINTS_EXPIRED,
)


@dataclass(frozen=True)
class Activity:
    kind: str  # the ledger row's transaction type
    sentence: str
    store_name: str
    at: datetime  # in the store's time zone
    when: str  # ``at`` as people of the active language write it

    @property
    def names_store(self) -> bool:
        """Whether the sentence already says where ("+1 stamp at Main Street")."""
        return self.kind in (TransactionType.STAMP_EARNED, TransactionType.POINTS_EARNED)

    @property
    def is_reward(self) -> bool:
        return self.kind in (TransactionType.STAMP_REDEEMED, TransactionType.POINTS_REDEEMED)


def recent_activity(card: LoyaltyCard, limit: int = RECENT_ACTIVITY_LIMIT) -> list[Activity]:
    """The card's last ``limit`` customer-facing ledger rows, newest first (one query)."""
    rows = (
        LoyaltyTransaction.objects.filter(card=card, transaction_type__in=CUSTOMER_ACTIVITY)
        .select_related("store")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [_activity(row) for row in rows]


def _activity(row: LoyaltyTransaction) -> Activity:
    at = timezone.localtime(row.created_at, ZoneInfo(row.store.timezone))
    return Activity(
        kind=row.transaction_type,
        sentence=describe(row),
        store_name=row.store.name,
        at=at,
        when=_when(at),
    )


def describe(row: LoyaltyTransaction) -> str:
    """One ledger row in the customer's words, in the active language."""
    store = row.store.name
    kind = row.transaction_type
    if kind == TransactionType.STAMP_EARNED:
        n = row.stamps_delta
        return ngettext("+%(n)s stamp at %(store)s", "+%(n)s stamps at %(store)s", n) % {
            "n": n,
            "store": store,
        }
    if kind == TransactionType.POINTS_EARNED:
        n = row.points_delta
        return ngettext("+%(n)s point at %(store)s", "+%(n)s points at %(store)s", n) % {
            "n": n,
            "store": store,
        }
    if kind == TransactionType.STAMP_REDEEMED:
        if row.reward_description:
            return gettext("Reward: %(reward)s") % {"reward": row.reward_description}
        return gettext("Reward redeemed")
    if kind == TransactionType.POINTS_REDEEMED:
        n = -row.points_delta
        return ngettext(
            "Reward: %(reward)s (%(n)s point)", "Reward: %(reward)s (%(n)s points)", n
        ) % {"reward": row.reward_description or gettext("a reward"), "n": n}
    if kind == TransactionType.POINTS_EXPIRED:
        n = -row.points_delta
        return ngettext("%(n)s point expired", "%(n)s points expired", n) % {"n": n}
    return row.get_transaction_type_display()


def _when(at: datetime) -> str:
    naive = timezone.make_naive(at, at.tzinfo)
    if (translation.get_language() or "").startswith("lb"):
        # Django has no Luxembourgish date format (nor month names in lb): numbers, as written
        # in Luxembourg.
        return naive.strftime("%d.%m.%Y, %H:%M")
    return f"{formats.date_format(naive, 'DATE_FORMAT')}, {formats.time_format(naive, 'H:i')}"
