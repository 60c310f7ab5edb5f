"""Writes on customers and cards. The stamps and points engine joins this module next."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.exceptions import (
    CardInactive,
    CardNotFound,
    CooldownActive,
    DailyLimitReached,
    IdempotencyKeyReused,
    InsufficientPoints,
    InsufficientStamps,
    InvalidCardNumber,
    NotInProgramme,
    PinRequired,
    ProgramInactive,
    StoreInactive,
    StoreNotFound,
    UnknownReward,
)
from cards.models import (
    Customer,
    IdempotencyRecord,
    LoyaltyCard,
    LoyaltyTransaction,
    TransactionType,
)
from cards.numbers import is_valid_card_number, normalise_card_number
from cards.signals import card_changed
from common.errors import ApplicationError
from common.request_meta import RequestMeta
from programs.models import LoyaltyProgram, Store
from staff.models import StaffPin
from staff.services import verify_staff_pin


@dataclass(frozen=True)
class Enrollment:
    card: LoyaltyCard
    created: bool


def _announce(card_id: int, reason: str) -> None:
    card_changed.send(sender=LoyaltyCard, card_id=card_id, reason=reason)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def enroll_customer(
    *,
    store_code: str,
    name: str,
    email: str,
    phone: str = "",
    marketing_consent: bool = False,
    locale: str = "en",
) -> Enrollment:
    """Give a customer a card for the store's programme; return the existing card when the e-mail
    already has one. Concurrent identical requests create one customer and one card: the unique
    constraints decide and the losers read the winner's rows."""
    store = Store.objects.filter(code=store_code.strip().lower()).first()
    if store is None:
        raise StoreNotFound()
    if not store.is_active:
        raise StoreInactive()
    program = LoyaltyProgram.objects.filter(store=store).first()
    if program is None or not program.is_active:
        raise ProgramInactive()

    email = normalise_email(email)
    errors = {}
    if not name.strip():
        errors["name"] = [_("Please enter your name.")]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Please enter a valid e-mail address.")]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        customer, _created = Customer.objects.get_or_create(
            email=email,
            defaults={
                "name": name.strip(),
                "phone": phone.strip(),
                "locale": locale,
                "marketing_consent": marketing_consent,
                "marketing_consent_at": timezone.now() if marketing_consent else None,
                "enrolled_store": store,
            },
        )
        card = LoyaltyCard.objects.filter(customer=customer, program=program).first()
        if card is not None:
            return Enrollment(card=card, created=False)
        card = _create_card(customer=customer, program=program, store=store)
        if card is None:  # a concurrent enrollment of the same e-mail created it first
            card = LoyaltyCard.objects.get(customer=customer, program=program)
            return Enrollment(card=card, created=False)
        transaction.on_commit(partial(_announce, card.pk, "enrolled"))
    return Enrollment(card=card, created=True)


def _create_card(
    *, customer: Customer, program: LoyaltyProgram, store: Store
) -> LoyaltyCard | None:
    """Insert a card; None if the customer got one for this programme meanwhile. A clash of the
    random number, serial or token (rare, but certain at scale) just draws new ones."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return LoyaltyCard.objects.create(customer=customer, program=program, store=store)
        except IntegrityError:
            if LoyaltyCard.objects.filter(customer=customer, program=program).exists():
                return None
    raise RuntimeError("could not draw a free card number in 5 attempts")


# --- The stamps and points engine
#
# Every operation runs in one transaction that starts by locking the card row: operations on a
# card queue there, so cooldown, daily limit and balances are checked against committed state and
# nothing is counted twice. Lock order is always card, then staff PIN. Refusals that must leave a
# trace (a PIN failure, an idempotent refusal) are written in that transaction, which commits, and
# are raised afterwards.


@dataclass(frozen=True)
class IdempotencyRequest:
    key: str
    fingerprint: str  # of the request (endpoint and body): the same key may not mean two things
    render: Callable[[LoyaltyTransaction], dict[str, Any]]  # the response body to store


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class StaffAuth:
    staff_pin_id: int | None
    pin: str | None


Rule = Callable[[LoyaltyCard, "StaffPin | None"], LoyaltyTransaction]


def _operate(
    *,
    card_number: str,
    scope_store: Store | None,
    staff: StaffAuth,
    meta: RequestMeta,
    idempotency: IdempotencyRequest | None,
    rule: Rule,
) -> LoyaltyTransaction | Replay:
    try:
        return _operate_once(
            card_number=card_number,
            scope_store=scope_store,
            staff=staff,
            meta=meta,
            idempotency=idempotency,
            rule=rule,
        )
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key committed first: our transaction was
        # rolled back whole; answer what it answered.
        if idempotency is not None:
            record = IdempotencyRecord.objects.filter(key=idempotency.key).first()
            if record is not None:
                return _replay(record, idempotency)
        raise


def _operate_once(
    *,
    card_number: str,
    scope_store: Store | None,
    staff: StaffAuth,
    meta: RequestMeta,
    idempotency: IdempotencyRequest | None,
    rule: Rule,
) -> LoyaltyTransaction | Replay:
    number = normalise_card_number(card_number)
    if not is_valid_card_number(number):
        raise InvalidCardNumber(errors={"card_number": [str(InvalidCardNumber.default_message)]})
    error: ApplicationError | None = None
    txn: LoyaltyTransaction | None = None
    with transaction.atomic():
        cards = LoyaltyCard.objects.select_for_update(of=("self",)).select_related(
            "program", "program__store", "customer"
        )
        if scope_store is not None:
            cards = cards.filter(program__store=scope_store)
        if idempotency is not None:
            # Read with the lock, in the same statement. A concurrent twin that commits while we
            # wait is invisible to this snapshot, but its record's unique key stops us at the end.
            cards = cards.annotate(
                replay_id=Subquery(
                    IdempotencyRecord.objects.filter(key=idempotency.key).values("pk")[:1]
                )
            )
        try:
            # get(), not first(): no ORDER BY to compile or sort for a unique lookup.
            card = cards.get(card_number=number)
        except LoyaltyCard.DoesNotExist:
            raise CardNotFound() from None
        if idempotency is not None and card.replay_id is not None:
            return _replay(IdempotencyRecord.objects.get(pk=card.replay_id), idempotency)
        try:
            staff_pin = _check_staff(card, staff, meta)
            txn = rule(card, staff_pin)
        except ApplicationError as refusal:
            error = refusal
        if idempotency is not None:
            if txn is not None:
                status_code, body = 201, idempotency.render(txn)
            else:
                status_code, body = error.status_code, error.as_dict()  # type: ignore[union-attr]
            IdempotencyRecord.objects.create(
                key=idempotency.key,
                fingerprint=idempotency.fingerprint,
                status_code=status_code,
                response_body=body,
                card=card,
            )
        if txn is not None:
            transaction.on_commit(partial(_announce, card.pk, txn.transaction_type))
    if error is not None:
        raise error
    assert txn is not None
    return txn


def _replay(record: IdempotencyRecord, idempotency: IdempotencyRequest) -> Replay:
    if record.fingerprint != idempotency.fingerprint:
        raise IdempotencyKeyReused()
    return Replay(status_code=record.status_code, body=record.response_body)


def _check_staff(card: LoyaltyCard, staff: StaffAuth, meta: RequestMeta) -> StaffPin | None:
    program = card.program
    if not card.is_active:
        raise CardInactive()
    if not program.is_active or not program.store.is_active:
        raise ProgramInactive()
    if staff.staff_pin_id is None or not staff.pin:
        if program.require_staff_pin:
            raise PinRequired(errors={"pin": [str(PinRequired.default_message)]})
        return None
    check = verify_staff_pin(
        staff_pin_id=staff.staff_pin_id, pin=staff.pin, store_id=program.store_id, now=meta.now
    )
    if check.error is not None:
        raise check.error
    return check.staff_pin


def _ledger(
    card: LoyaltyCard,
    staff_pin: StaffPin | None,
    meta: RequestMeta,
    *,
    transaction_type: str,
    stamps_delta: int = 0,
    points_delta: int = 0,
    idempotency_key: str | None = None,
    **fields: Any,
) -> LoyaltyTransaction:
    return LoyaltyTransaction.objects.create(
        card=card,
        store=card.program.store,
        staff_pin=staff_pin,
        transaction_type=transaction_type,
        stamps_delta=stamps_delta,
        points_delta=points_delta,
        stamps_after=card.stamp_count,
        points_after=card.points_balance,
        idempotency_key=idempotency_key,
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
    idempotency: IdempotencyRequest | None = None,
) -> LoyaltyTransaction | Replay:
    """Add ``quantity`` stamps, within the cooldown and the daily limit of the programme."""

    def rule(card: LoyaltyCard, staff_pin: StaffPin | None) -> LoyaltyTransaction:
        program = card.program
        if not program.has_stamps:
            raise NotInProgramme()
        now = meta.now
        if program.cooldown_minutes and card.last_stamp_at is not None:
            wait = card.last_stamp_at + timedelta(minutes=program.cooldown_minutes) - now
            if wait.total_seconds() > 0:
                raise CooldownActive(retry_after=math.ceil(wait.total_seconds()))
        today = now.astimezone(ZoneInfo(program.store.timezone)).date()
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
            transaction_type=TransactionType.STAMP_EARNED,
            stamps_delta=quantity,
            notes=notes,
            idempotency_key=idempotency.key if idempotency else None,
        )

    return _operate(
        card_number=card_number,
        scope_store=scope_store,
        staff=staff,
        meta=meta,
        idempotency=idempotency,
        rule=rule,
    )


def redeem_stamps(
    *,
    card_number: str,
    staff: StaffAuth,
    meta: RequestMeta,
    scope_store: Store | None = None,
    idempotency: IdempotencyRequest | None = None,
) -> LoyaltyTransaction | Replay:
    """Exchange ``stamps_target`` stamps for the programme's reward."""

    def rule(card: LoyaltyCard, staff_pin: StaffPin | None) -> LoyaltyTransaction:
        program = card.program
        if not program.has_stamps or not program.stamps_target:
            raise NotInProgramme()
        if card.stamp_count < program.stamps_target:
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
            transaction_type=TransactionType.STAMP_REDEEMED,
            stamps_delta=-program.stamps_target,
            reward_description=program.stamps_reward_description,
            idempotency_key=idempotency.key if idempotency else None,
        )

    return _operate(
        card_number=card_number,
        scope_store=scope_store,
        staff=staff,
        meta=meta,
        idempotency=idempotency,
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
    idempotency: IdempotencyRequest | None = None,
) -> LoyaltyTransaction | Replay:
    """Credit the points a purchase earns and record the purchase."""

    def rule(card: LoyaltyCard, staff_pin: StaffPin | None) -> LoyaltyTransaction:
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
            transaction_type=TransactionType.POINTS_EARNED,
            points_delta=points,
            purchase_amount_cents=purchase_amount_cents,
            notes=notes,
            idempotency_key=idempotency.key if idempotency else None,
        )

    return _operate(
        card_number=card_number,
        scope_store=scope_store,
        staff=staff,
        meta=meta,
        idempotency=idempotency,
        rule=rule,
    )


def redeem_points(
    *,
    card_number: str,
    reward_id: str,
    staff: StaffAuth,
    meta: RequestMeta,
    scope_store: Store | None = None,
    idempotency: IdempotencyRequest | None = None,
) -> LoyaltyTransaction | Replay:
    """Spend points on one of the programme's rewards."""

    def rule(card: LoyaltyCard, staff_pin: StaffPin | None) -> LoyaltyTransaction:
        program = card.program
        if not program.has_points:
            raise NotInProgramme()
        reward = program.reward(reward_id)
        if reward is None:
            raise UnknownReward(errors={"reward_id": [str(UnknownReward.default_message)]})
        if card.points_balance < reward["points_cost"]:
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
            transaction_type=TransactionType.POINTS_REDEEMED,
            points_delta=-reward["points_cost"],
            reward_id=reward["id"],
            reward_description=reward["name"],
            idempotency_key=idempotency.key if idempotency else None,
        )

    return _operate(
        card_number=card_number,
        scope_store=scope_store,
        staff=staff,
        meta=meta,
        idempotency=idempotency,
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
        .select_related("program")
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
        transaction_type=TransactionType.ADJUSTMENT,
        stamps_delta=stamps_delta,
        points_delta=points_delta,
        notes=notes.strip(),
    )
    transaction.on_commit(partial(_announce, card.pk, TransactionType.ADJUSTMENT))
    return txn


_EXPIRE_BATCH_SQL = """
WITH due AS (
    SELECT card.id, card.points_balance, card.stamp_count, program.store_id
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
RETURNING card_id
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
            batch = [row[0] for row in cursor.fetchall()]
        expired.extend(batch)
        for card_id in batch:
            transaction.on_commit(partial(_announce, card_id, TransactionType.POINTS_EXPIRED))
        if len(batch) < batch_size:
            return len(expired)


def purge_idempotency_records(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Forget stored responses of keys older than ``older_than``; a retry after that is a new
    request. Returns how many were removed."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
