"""The stamps and points engine: every operation on a card's balances, and blocking a card.

Every operation runs in one transaction that starts by locking the card row: operations on a
card queue there, so cooldown, daily limit and balances are checked against committed state and
nothing is counted twice. Lock order is always card, then staff PIN. A refusal that must leave a
trace (a PIN failure) is written in that transaction, which commits, and is raised afterwards.
After commit, the change is announced (``cards.signals``). Retries with an Idempotency-Key are
the interfaces' business (common.idempotency), around these functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from cards.exceptions import (
    CardInactive,
    CardNotFound,
    CooldownActive,
    DailyLimitReached,
    InsufficientPoints,
    InsufficientStamps,
    InvalidCardNumber,
    NotInProgramme,
    PinRequired,
    ProgramInactive,
    UnknownReward,
)
from cards.models import (
    Customer,
    LoyaltyCard,
    LoyaltyTransaction,
    TransactionType,
)
from cards.numbers import is_valid_card_number, normalise_card_number
from cards.signals import card_changed, card_deactivated
from common.announcements import announce_after_commit
from common.errors import ApplicationError
from common.request_meta import RequestMeta
from programs.models import Store
from staff.models import StaffPin
from staff.services import verify_staff_pin


@dataclass(frozen=True)
class StaffAuth:
    staff_pin_id: int | None
    pin: str | None


# A rule applies an operation to the locked card, done by ``staff_pin`` at ``store``.
Rule = Callable[[LoyaltyCard, "StaffPin | None", Store], LoyaltyTransaction]


def _operate(
    *,
    card_number: str,
    scope_store: Store | None,
    staff: StaffAuth,
    meta: RequestMeta,
    rule: Rule,
) -> LoyaltyTransaction:
    number = normalise_card_number(card_number)
    if not is_valid_card_number(number):
        raise InvalidCardNumber(errors={"card_number": [str(InvalidCardNumber.default_message)]})
    error: ApplicationError | None = None
    txn: LoyaltyTransaction | None = None
    with transaction.atomic():
        cards = LoyaltyCard.objects.select_for_update(of=("self",)).select_related(
            "program", "customer", "store"
        )
        if scope_store is not None:
            # The cards valid at the caller's store: its programme's, wherever they were enrolled.
            # Joined, not read off ``scope_store``: a key's store may be a cached copy.
            cards = cards.filter(program__stores=scope_store)
        try:
            # get(), not first(): no ORDER BY to compile or sort for a unique lookup.
            card = cards.get(card_number=number)
        except LoyaltyCard.DoesNotExist:
            raise CardNotFound(at_store=scope_store is not None) from None
        try:
            staff_pin, store = _check_staff(card, staff, meta, scope_store)
            txn = rule(card, staff_pin, store)
        except ApplicationError as refusal:
            # Raised after the block: what the refusal wrote (a PIN failure) commits.
            error = refusal
        if txn is not None:
            announce_after_commit(
                card_changed,
                sender=LoyaltyCard,
                card_id=card.pk,
                transaction_id=txn.pk,
                reason=txn.transaction_type,
            )
    if error is not None:
        raise error
    assert txn is not None
    return txn


def _check_staff(
    card: LoyaltyCard, staff: StaffAuth, meta: RequestMeta, scope_store: Store | None
) -> tuple[StaffPin | None, Store]:
    """Who does the operation, and where: the ledger records the store and the daily limit
    counts its day. The store is the caller's (a terminal's, a store-restricted key's), else the
    staff member's (their PIN's store), else the store where the card was enrolled."""
    program = card.program
    if not card.is_active:
        raise CardInactive()
    if not program.is_active:
        raise ProgramInactive()
    staff_pin = None
    if staff.staff_pin_id is None or not staff.pin:
        if program.require_staff_pin:
            raise PinRequired(errors={"pin": [str(PinRequired.default_message)]})
    else:
        # A PIN of a store outside the programme is refused there as any unknown PIN.
        check = verify_staff_pin(
            staff_pin_id=staff.staff_pin_id,
            pin=staff.pin,
            store=scope_store,
            program_id=program.pk,
            now=meta.now,
        )
        if check.error is not None:
            raise check.error
        staff_pin = check.staff_pin
    store = scope_store or (staff_pin.store if staff_pin is not None else card.store)
    if scope_store is None and store.program_id != program.pk:
        # The card's own store has left the programme, and nobody says where this happens.
        # (A caller's store is in the programme: the card was found through it.)
        raise CardNotFound(at_store=True)
    if not store.is_active:
        raise ProgramInactive()
    return staff_pin, store


def _ledger(
    card: LoyaltyCard,
    staff_pin: StaffPin | None,
    meta: RequestMeta,
    *,
    store: Store,
    transaction_type: str,
    stamps_delta: int = 0,
    points_delta: int = 0,
    **fields: Any,
) -> LoyaltyTransaction:
    return LoyaltyTransaction.objects.create(
        card=card,
        store=store,
        staff_pin=staff_pin,
        transaction_type=transaction_type,
        stamps_delta=stamps_delta,
        points_delta=points_delta,
        stamps_after=card.stamp_count,
        points_after=card.points_balance,
        idempotency_key=meta.idempotency_key,
        source=meta.source,
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        **fields,
    )


def add_stamps(
    *,
    card_number: str,
    staff: StaffAuth,
    meta: RequestMeta,
    quantity: int = 1,
    notes: str = "",
    scope_store: Store | None = None,
) -> LoyaltyTransaction:
    """Add ``quantity`` stamps, within the cooldown and the daily limit of the programme."""

    def rule(card: LoyaltyCard, staff_pin: StaffPin | None, store: Store) -> LoyaltyTransaction:
        program = card.program
        if not program.has_stamps:
            raise NotInProgramme()
        now = meta.now
        if program.cooldown_minutes and card.last_stamp_at is not None:
            wait = card.last_stamp_at + timedelta(minutes=program.cooldown_minutes) - now
            if wait.total_seconds() > 0:
                raise CooldownActive(retry_after=math.ceil(wait.total_seconds()))
        # The day of the store where the stamp is given: a card used at stores in two time zones
        # counts each stamp in the day of its own counter.
        today = now.astimezone(ZoneInfo(store.timezone)).date()
        given_today = card.stamps_today if card.stamps_day == today else 0
        if given_today + quantity > program.max_daily_stamps:
            raise DailyLimitReached(
                max_daily_stamps=program.max_daily_stamps, stamps_today=given_today
            )
        card.stamp_count += quantity
        card.total_stamps_earned += quantity
        card.stamps_today, card.stamps_day = given_today + quantity, today
        card.last_stamp_at = card.last_activity_at = now
        card.save(
            update_fields=[
                "stamp_count",
                "total_stamps_earned",
                "stamps_today",
                "stamps_day",
                "last_stamp_at",
                "last_activity_at",
                "updated_at",
            ]
        )
        return _ledger(
            card,
            staff_pin,
            meta,
            store=store,
            transaction_type=TransactionType.STAMP_EARNED,
            stamps_delta=quantity,
            notes=notes,
        )

    return _operate(
        card_number=card_number,
        scope_store=scope_store,
        staff=staff,
        meta=meta,
        rule=rule,
    )


def redeem_stamps(
    *,
    card_number: str,
    staff: StaffAuth,
    meta: RequestMeta,
    scope_store: Store | None = None,
) -> LoyaltyTransaction:
    """Exchange ``stamps_target`` stamps for the programme's reward."""

    def rule(card: LoyaltyCard, staff_pin: StaffPin | None, store: Store) -> LoyaltyTransaction:
        program = card.program
        if not program.has_stamps or not program.stamps_target:
            raise NotInProgramme()
        if not card.stamp_rewards_ready:
            raise InsufficientStamps(
                stamp_count=card.stamp_count, stamps_target=program.stamps_target
            )
        card.stamp_count -= program.stamps_target
        card.stamps_redeemed += program.stamps_target
        card.last_activity_at = meta.now
        card.save(
            update_fields=["stamp_count", "stamps_redeemed", "last_activity_at", "updated_at"]
        )
        return _ledger(
            card,
            staff_pin,
            meta,
            store=store,
            transaction_type=TransactionType.STAMP_REDEEMED,
            stamps_delta=-program.stamps_target,
            reward_description=program.stamps_reward_description,
        )

    return _operate(
        card_number=card_number,
        scope_store=scope_store,
        staff=staff,
        meta=meta,
        rule=rule,
    )


def points_for(*, purchase_amount_cents: int, points_per_euro: Decimal) -> int:
    """floor(purchase_amount_cents / 100 * points_per_euro), in exact decimal arithmetic."""
    return int(
        (Decimal(purchase_amount_cents) * points_per_euro / 100).to_integral_value(
            rounding=ROUND_FLOOR
        )
    )


def add_points(
    *,
    card_number: str,
    purchase_amount_cents: int,
    staff: StaffAuth,
    meta: RequestMeta,
    notes: str = "",
    scope_store: Store | None = None,
) -> LoyaltyTransaction:
    """Credit the points a purchase earns and record the purchase."""

    def rule(card: LoyaltyCard, staff_pin: StaffPin | None, store: Store) -> LoyaltyTransaction:
        program = card.program
        if not program.has_points or not program.points_per_euro:
            raise NotInProgramme()
        points = points_for(
            purchase_amount_cents=purchase_amount_cents, points_per_euro=program.points_per_euro
        )
        card.points_balance += points
        card.total_points_earned += points
        card.last_points_at = card.last_activity_at = meta.now
        card.save(
            update_fields=[
                "points_balance",
                "total_points_earned",
                "last_points_at",
                "last_activity_at",
                "updated_at",
            ]
        )
        # F(): the customer row is not locked (their other cards may be in use right now).
        Customer.objects.filter(pk=card.customer_id).update(
            total_spent_cents=F("total_spent_cents") + purchase_amount_cents
        )
        card.customer.total_spent_cents += purchase_amount_cents
        return _ledger(
            card,
            staff_pin,
            meta,
            store=store,
            transaction_type=TransactionType.POINTS_EARNED,
            points_delta=points,
            purchase_amount_cents=purchase_amount_cents,
            notes=notes,
        )

    return _operate(
        card_number=card_number,
        scope_store=scope_store,
        staff=staff,
        meta=meta,
        rule=rule,
    )


def redeem_points(
    *,
    card_number: str,
    reward_id: str,
    staff: StaffAuth,
    meta: RequestMeta,
    scope_store: Store | None = None,
) -> LoyaltyTransaction:
    """Spend points on one of the programme's rewards."""

    def rule(card: LoyaltyCard, staff_pin: StaffPin | None, store: Store) -> LoyaltyTransaction:
        program = card.program
        if not program.has_points:
            raise NotInProgramme()
        reward = program.reward(reward_id)
        if reward is None:
            raise UnknownReward(errors={"reward_id": [str(UnknownReward.default_message)]})
        if not card.can_afford(reward):
            raise InsufficientPoints(
                points_balance=card.points_balance, points_cost=reward["points_cost"]
            )
        card.points_balance -= reward["points_cost"]
        card.points_redeemed += reward["points_cost"]
        card.last_activity_at = meta.now
        card.save(
            update_fields=["points_balance", "points_redeemed", "last_activity_at", "updated_at"]
        )
        return _ledger(
            card,
            staff_pin,
            meta,
            store=store,
            transaction_type=TransactionType.POINTS_REDEEMED,
            points_delta=-reward["points_cost"],
            reward_id=reward["id"],
            reward_description=reward["name"],
        )

    return _operate(
        card_number=card_number,
        scope_store=scope_store,
        staff=staff,
        meta=meta,
        rule=rule,
    )


@transaction.atomic
def adjust(
    *,
    card: LoyaltyCard,
    stamps_delta: int = 0,
    points_delta: int = 0,
    notes: str,
    meta: RequestMeta,
) -> LoyaltyTransaction:
    """A back-office correction: a new ``adjustment`` row, never an edit of an old one."""
    if not notes.strip():
        raise ValidationError({"notes": _("Say why the card is corrected.")})
    if not stamps_delta and not points_delta:
        raise ValidationError({"stamps_delta": _("Change the stamps, the points or both.")})
    card = (
        LoyaltyCard.objects.select_for_update(of=("self",))
        .select_related("program", "store")
        .get(pk=card.pk)
    )
    if card.stamp_count + stamps_delta < 0:
        raise ValidationError(
            {"stamps_delta": _("The card has only %(n)s stamps.") % {"n": card.stamp_count}}
        )
    if card.points_balance + points_delta < 0:
        raise ValidationError(
            {"points_delta": _("The card has only %(n)s points.") % {"n": card.points_balance}}
        )
    card.stamp_count += stamps_delta
    card.points_balance += points_delta
    card.last_activity_at = meta.now
    card.save(update_fields=["stamp_count", "points_balance", "last_activity_at", "updated_at"])
    txn = _ledger(
        card,
        None,
        meta,
        store=card.store,  # a back-office correction belongs to no counter: the card's store
        transaction_type=TransactionType.ADJUSTMENT,
        stamps_delta=stamps_delta,
        points_delta=points_delta,
        notes=notes.strip(),
    )
    announce_after_commit(
        card_changed,
        sender=LoyaltyCard,
        card_id=card.pk,
        transaction_id=txn.pk,
        reason=TransactionType.ADJUSTMENT,
    )
    return txn


@transaction.atomic
def set_card_active(*, card: LoyaltyCard, active: bool) -> LoyaltyCard:
    """Block a card (no operation is accepted on it; its passes say so) or unblock it. Blocking is
    announced with ``card_deactivated``, unblocking as a ``card_changed``."""
    card = LoyaltyCard.objects.select_for_update(of=("self",)).get(pk=card.pk)
    if card.is_active == active:
        return card
    card.is_active = active
    card.save(update_fields=["is_active", "updated_at"])
    if active:
        announce_after_commit(
            card_changed,
            sender=LoyaltyCard,
            card_id=card.pk,
            transaction_id=None,
            reason="reactivated",
        )
    else:
        announce_after_commit(card_deactivated, sender=LoyaltyCard, card_id=card.pk)
    return card
