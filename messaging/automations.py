"""When an automation is due for a card.

Event automations (welcome, one stamp away, reward ready) follow the engine's announcements: the
ledger row of the operation says what the card was before and after it, and the card's own rules
(``LoyaltyCard.stamp_rewards_ready``, ``affordable_rewards``, ``is_one_stamp_away``) are asked of
both states, so "a reward became ready" means what the terminal and the passes mean by "ready".

Daily automations (reward not redeemed, win-back, points expiring, birthday) are found by a sweep
once a day per merchant. Each delivery's ``occasion`` makes it once per event: a re-run of the
sweep, or of an event, finds its rows there already.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from cards.models import Customer, LoyaltyCard, LoyaltyTransaction, TransactionType
from cards.selectors import reward_ready_condition
from messaging.models import Audience, Delivery, Message, MessageKind, Trigger
from messaging.selectors import audience_cards
from messaging.services import (
    DELIVERY_BATCH,
    FANOUT_CHUNK,
    add_automation_deliveries,
    enabled_automation,
    in_batches,
)
from wallets.models import AppleRegistration, WalletPass

# Operations after which a card may have become one stamp away, or got a reward.
EARNING = frozenset({TransactionType.STAMP_EARNED, TransactionType.POINTS_EARNED})
REDEMPTIONS = (TransactionType.STAMP_REDEEMED, TransactionType.POINTS_REDEEMED)
ENROLLED = "enrolled"

# The automations an announcement's reason can trigger.
EVENT_TRIGGERS: dict[str, tuple[str, ...]] = {
    ENROLLED: (Trigger.WELCOME,),
    TransactionType.STAMP_EARNED: (Trigger.REWARD_READY, Trigger.ONE_STAMP_AWAY),
    TransactionType.POINTS_EARNED: (Trigger.REWARD_READY,),
}
DAILY_TRIGGERS = (
    Trigger.REWARD_NOT_REDEEMED,
    Trigger.WIN_BACK,
    Trigger.POINTS_EXPIRING,
    Trigger.BIRTHDAY,
)
# Without a number of days set on the automation.
DEFAULT_DAYS = {Trigger.REWARD_NOT_REDEEMED: 14, Trigger.WIN_BACK: 60}

CardRow = tuple[int, int, str, str]  # card id, customer id, customer's locale, occasion


# --- Event automations


def may_trigger(reason: str) -> bool:
    """Whether an announcement with this reason could make an event automation due now (for the
    receiver: one cheap query, no task, when none is on)."""
    triggers = EVENT_TRIGGERS.get(reason)
    if not triggers:
        return False
    return Message.objects.filter(
        kind=MessageKind.AUTOMATION, trigger__in=triggers, enabled=True
    ).exists()


def _with_balances(card: LoyaltyCard, *, stamps: int, points: int) -> LoyaltyCard:
    """The card as it was (or is) with these balances, to ask its rules of that state."""
    state = copy.copy(card)
    state.stamp_count, state.points_balance = stamps, points
    return state


def _reward_became_ready(before: LoyaltyCard, after: LoyaltyCard) -> bool:
    """More full stamp rewards than before, or a points reward the balance did not pay for."""
    if after.stamp_rewards_ready > before.stamp_rewards_ready:
        return True
    had = {reward["id"] for reward in before.affordable_rewards}
    return any(reward["id"] not in had for reward in after.affordable_rewards)


def _event_triggers(txn: LoyaltyTransaction) -> list[str]:
    """What the operation ``txn`` made due: a reward that became ready, else (a stamp that
    brought the card to one short of its next reward) one stamp away."""
    card = txn.card
    after = _with_balances(card, stamps=txn.stamps_after, points=txn.points_after)
    before = _with_balances(
        card,
        stamps=txn.stamps_after - txn.stamps_delta,
        points=txn.points_after - txn.points_delta,
    )
    if _reward_became_ready(before, after):
        return [Trigger.REWARD_READY]
    if (
        txn.transaction_type == TransactionType.STAMP_EARNED
        and txn.stamps_delta > 0
        and after.is_one_stamp_away
    ):
        return [Trigger.ONE_STAMP_AWAY]
    return []


def card_event(*, card_id: int, reason: str, transaction_id: int | None = None) -> list[int]:
    """Write the deliveries the card's change made due; returns the pending ones' ids (the
    caller queues their delivery). Safe to run twice: the occasion (none for the welcome, one
    card's; the ledger row's id for the others) finds the first run's rows."""
    if reason not in EVENT_TRIGGERS:
        return []
    card = (
        LoyaltyCard.objects.select_related("program", "customer")
        .filter(pk=card_id, is_active=True, customer__erased_at__isnull=True)
        .first()
    )
    if card is None:
        return []
    if reason == ENROLLED:
        triggers, occasion = [Trigger.WELCOME], ""
    else:
        txn = (
            LoyaltyTransaction.objects.filter(pk=transaction_id, card_id=card_id).first()
            if transaction_id
            else None
        )
        if txn is None or txn.transaction_type not in EARNING:
            return []
        txn.card = card
        triggers, occasion = _event_triggers(txn), f"t{txn.pk}"
    pending: list[int] = []
    for trigger in triggers:
        message = enabled_automation(trigger)
        if message is None:
            continue
        pending += add_automation_deliveries(
            message=message, cards=[(card.pk, card.customer_id, card.customer.locale, occasion)]
        )
    return pending


# --- Daily automations


def _living_cards() -> QuerySet[LoyaltyCard]:
    return LoyaltyCard.objects.filter(is_active=True, customer__erased_at__isnull=True)


def reward_not_redeemed_rows(*, days: int, now: dt.datetime) -> Iterator[CardRow]:
    """Cards whose reward has been ready, unredeemed, for at least ``days`` days.

    Exact, from the ledger rather than approximated from the last earning: a card that is ready
    now was ready for the whole window when the state before each of its operations in the
    window was ready too (between operations the balances do not move; the card's rules are
    asked of each state, see ``card_event``). So a customer who kept collecting stamps on a full
    card without redeeming is reminded as well, which "no earning for N days" would miss.
    The rules are today's: a target or reward price changed within the window counts as if it
    had always been so.

    Occasion: the last redemption's ledger id ("r0" before any), so a customer is reminded once
    per reward period, not every day; after a redemption that leaves a reward ready (carried
    stamps), once more ``days`` later.
    """
    since = now - dt.timedelta(days=days)
    last_redemption = (
        LoyaltyTransaction.objects.filter(card_id=OuterRef("pk"), transaction_type__in=REDEMPTIONS)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    candidates = (
        _living_cards()
        .filter(reward_ready_condition(), created_at__lte=since)
        .select_related("program")
        .annotate(last_redemption=Subquery(last_redemption))
        .order_by("pk")
    )
    for chunk in _chunks(candidates.iterator(chunk_size=FANOUT_CHUNK), FANOUT_CHUNK):
        by_card = {card.pk: card for card in chunk}
        customers = dict(
            Customer.objects.filter(pk__in={card.customer_id for card in chunk}).values_list(
                "pk", "locale"
            )
        )
        broken: set[int] = set()
        window = LoyaltyTransaction.objects.filter(card_id__in=by_card, created_at__gt=since)
        for card_id, stamps_after, stamps_delta, points_after, points_delta in window.values_list(
            "card_id", "stamps_after", "stamps_delta", "points_after", "points_delta"
        ):
            card = by_card[card_id]
            before = _with_balances(
                card, stamps=stamps_after - stamps_delta, points=points_after - points_delta
            )
            after = _with_balances(card, stamps=stamps_after, points=points_after)
            if not (before.has_reward_ready and after.has_reward_ready):
                broken.add(card_id)
        for card in chunk:
            if card.pk in broken or not card.has_reward_ready:
                continue
            yield (
                card.pk,
                card.customer_id,
                customers[card.customer_id],
                f"r{card.last_redemption or 0}",
            )


def win_back_rows(*, days: int, now: dt.datetime) -> Iterator[CardRow]:
    """Cards without a visit for ``days`` days (the campaigns' "no visit" audience). Occasion:
    the date of the last visit, so a customer gets it once per absence."""
    cards = (
        audience_cards(audience=Audience.NO_VISIT, days=days, now=now)
        .annotate(last_seen=Coalesce("last_activity_at", "created_at"))
        .order_by("pk")
        .values_list("pk", "customer_id", "customer__locale", "last_seen")
    )
    for card_id, customer_id, locale, last_seen in cards.iterator(chunk_size=FANOUT_CHUNK):
        yield card_id, customer_id, locale, last_seen.date().isoformat()


def points_expiring_rows(*, now: dt.datetime) -> Iterator[CardRow]:
    """Cards whose points expire within 14 days (what the nightly expiry will take, see
    ``cards.selectors.with_points_expiring``). Occasion: the expiry date, which moves on when
    the card is used: a new date, a new reminder."""
    cards = (
        audience_cards(audience=Audience.POINTS_EXPIRING, now=now)
        .order_by("pk")
        .values_list("pk", "customer_id", "customer__locale", "points_expire_at")
    )
    for card_id, customer_id, locale, expire_at in cards.iterator(chunk_size=FANOUT_CHUNK):
        yield card_id, customer_id, locale, expire_at.date().isoformat()


def birthday_matches(local_day: dt.date) -> list[tuple[int, int]]:
    """The (month, day) birthdays celebrated on ``local_day``: 29 February's on 28 February
    when the year has no 29th."""
    matches = [(local_day.month, local_day.day)]
    if (local_day.month, local_day.day) == (2, 28):
        try:
            dt.date(local_day.year, 2, 29)
        except ValueError:
            matches.append((2, 29))
    return matches


def birthday_rows(*, message_id: int, now: dt.datetime) -> Iterator[CardRow]:
    """Customers whose birthday it is today in the time zone of the store of their card. One
    message per customer and year, not per card: on the card with a pass on a wallet, else the
    one used last; a customer with cards in two time zones keeps the card of the first day.
    Occasion: the year."""
    cards = _living_cards().filter(customer__birth_month__isnull=False)
    zones = cards.values_list("store__timezone", flat=True).distinct()
    condition = Q(pk__in=[])
    for zone in zones:
        local_day = now.astimezone(ZoneInfo(zone)).date()
        for month, day in birthday_matches(local_day):
            condition |= Q(
                store__timezone=zone, customer__birth_month=month, customer__birth_day=day
            )
    chosen = (
        cards.filter(condition)
        .annotate(
            on_apple=Exists(AppleRegistration.objects.filter(wallet_pass__card_id=OuterRef("pk"))),
            on_google=Exists(
                WalletPass.objects.filter(card_id=OuterRef("pk")).exclude(google_object_id="")
            ),
        )
        .order_by(
            "customer_id",
            F("on_apple").desc(),
            F("on_google").desc(),
            F("last_activity_at").desc(nulls_last=True),
            "pk",
        )
        .distinct("customer_id")
        .values_list("pk", "customer_id", "customer__locale", "store__timezone")
    )
    rows = chosen.iterator(chunk_size=FANOUT_CHUNK)
    for chunk in _chunks(rows, FANOUT_CHUNK):
        years = {str(now.astimezone(ZoneInfo(zone)).year) for *_rest, zone in chunk}
        had = dict(
            Delivery.objects.filter(
                message_id=message_id,
                occasion__in=years,
                customer_id__in=[row[1] for row in chunk],
            ).values_list("customer_id", "card_id")
        )
        for card_id, customer_id, locale, zone in chunk:
            yield (
                had.get(customer_id, card_id),
                customer_id,
                locale,
                str(now.astimezone(ZoneInfo(zone)).year),
            )


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _rows_for(message: Message, *, now: dt.datetime) -> Iterator[CardRow]:
    trigger = message.trigger
    days = message.days or DEFAULT_DAYS.get(trigger, 0)
    if trigger == Trigger.REWARD_NOT_REDEEMED:
        return reward_not_redeemed_rows(days=days, now=now)
    if trigger == Trigger.WIN_BACK:
        return win_back_rows(days=days, now=now)
    if trigger == Trigger.POINTS_EXPIRING:
        return points_expiring_rows(now=now)
    if trigger == Trigger.BIRTHDAY:
        return birthday_rows(message_id=message.pk, now=now)
    return iter(())


def daily_automations(*, now: dt.datetime | None = None) -> list[list[int]]:
    """Write the deliveries of every daily automation that is on (the current merchant's), in
    bulk, and return the pending ones' ids in batches of at most DELIVERY_BATCH for the
    delivery tasks. Safe to run twice a day: the occasions find the first run's rows, and only
    those still pending come back."""
    now = now or timezone.now()
    pending: list[int] = []
    for trigger in DAILY_TRIGGERS:
        message = enabled_automation(trigger)
        if message is None:
            continue
        for chunk in _chunks(_rows_for(message, now=now), FANOUT_CHUNK):
            pending += add_automation_deliveries(message=message, cards=chunk)
    return in_batches(pending, DELIVERY_BATCH)
