"""Reads on cards that carry rules: store restrictions of API keys, search, eager loading."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    CharField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce

from cards.exceptions import CardNotFound, CustomerNotFound, InvalidCardNumber
from cards.links import wallet_link_relations
from cards.models import Customer, LoyaltyCard, LoyaltyTransaction
from cards.numbers import is_valid_card_number, normalise_card_number
from common.emails import normalise_email
from programs.models import LoyaltyProgram, Store, normalise_store_code

# Fewer digits would match most phone numbers.
PHONE_SEARCH_MIN_DIGITS = 6


def card_queryset(*, store: Store | None = None) -> QuerySet[LoyaltyCard]:
    """Cards visible to a caller restricted to ``store`` (None: every store): the cards valid
    there, those of the programme the store takes part in, wherever they were enrolled."""
    qs = LoyaltyCard.objects.select_related(
        "customer", "program", "store", *wallet_link_relations()
    )
    if store is not None:
        # Joined, not read off ``store``: an API key's store may be a cached copy.
        qs = qs.filter(program__stores=store)
    return qs


def search_cards(
    *,
    store: Store | None = None,
    query: str = "",
    program_id: int | None = None,
    store_code: str = "",
) -> QuerySet[LoyaltyCard]:
    qs = card_queryset(store=store)
    query = query.strip()
    if query:
        digits = normalise_card_number(query)
        condition = Q(customer__name__icontains=query) | Q(customer__email__icontains=query)
        if digits.isdigit():
            condition |= Q(card_number__startswith=digits)
        phone_digits = "".join(ch for ch in query if ch.isascii() and ch.isdigit())
        if len(phone_digits) >= PHONE_SEARCH_MIN_DIGITS:
            # A phone number as typed at the till ("621 12 34 56") against one stored as the
            # customer gave it ("+352 621 123 456"): compared digits to digits.
            qs = qs.alias(
                phone_digits=Func(
                    F("customer__phone"),
                    Value(r"\D"),
                    Value(""),
                    Value("g"),
                    function="regexp_replace",
                    output_field=CharField(),
                )
            )
            condition |= Q(phone_digits__contains=phone_digits)
        qs = qs.filter(condition)
    if program_id is not None:
        qs = qs.filter(program_id=program_id)
    if store_code:  # valid at that store (one programme a store: one row a card)
        qs = qs.filter(program__stores__code=normalise_store_code(store_code))
    return qs.order_by("-created_at", "-pk")


def get_card(*, card_number: str, store: Store | None = None) -> LoyaltyCard:
    """The card with this number; InvalidCardNumber for a typo, CardNotFound otherwise."""
    number = normalise_card_number(card_number)
    if not is_valid_card_number(number):
        raise InvalidCardNumber(errors={"card_number": [str(InvalidCardNumber.default_message)]})
    card = card_queryset(store=store).filter(card_number=number).first()
    if card is None:
        raise CardNotFound(at_store=store is not None)
    return card


def recent_transactions(*, card: LoyaltyCard, limit: int = 10) -> list[LoyaltyTransaction]:
    return list(card.transactions.select_related("store").order_by("-created_at", "-pk")[:limit])


def transaction_queryset(*, store: Store | None = None) -> QuerySet[LoyaltyTransaction]:
    """Ledger rows visible to a caller restricted to ``store`` (None: every store)."""
    qs = LoyaltyTransaction.objects.select_related("store", "card")
    if store is not None:
        qs = qs.filter(store=store)
    return qs.order_by("-created_at", "-pk")


def customer_queryset(*, store: Store | None = None) -> QuerySet[Customer]:
    """Customers visible to a caller restricted to ``store`` (None: every store): those with a
    card there. Each carries ``visible_cards``, the cards that caller may see."""
    cards = LoyaltyCard.objects.select_related("program", "store").order_by("created_at", "pk")
    qs = Customer.objects.all()
    if store is not None:
        cards = cards.filter(program__stores=store)
        # A subquery, not a join: a customer with two cards there is still one row.
        qs = qs.filter(pk__in=LoyaltyCard.objects.filter(program__stores=store).values("customer"))
    return qs.prefetch_related(Prefetch("cards", queryset=cards, to_attr="visible_cards"))


def search_customers(
    *,
    store: Store | None = None,
    email: str = "",
    phone: str = "",
    name: str = "",
    external_id: str = "",
) -> QuerySet[Customer]:
    """``email`` and ``external_id`` match exactly (the e-mail however capitalised), ``name`` and
    ``phone`` match a part; several criteria must all match."""
    qs = customer_queryset(store=store)
    if email.strip():
        qs = qs.filter(email=normalise_email(email))
    if external_id.strip():
        qs = qs.filter(external_id=external_id.strip())
    if name.strip():
        qs = qs.filter(name__icontains=name.strip())
    if phone.strip():
        qs = qs.filter(phone__icontains=phone.strip())
    return qs.order_by("-created_at", "-pk")


def get_customer(*, customer_id: int, store: Store | None = None) -> Customer:
    customer = customer_queryset(store=store).filter(pk=customer_id).first()
    if customer is None:
        raise CustomerNotFound()
    return customer


def card_for_email(*, store: Store, email: str) -> LoyaltyCard | None:
    """The card ``email`` holds for the programme ``store`` takes part in, or None.

    For sending that card's link to that address only: public interfaces answer the same whether
    or not there is one (SPEC §3, privacy), so they never show what this returns.
    """
    return (
        LoyaltyCard.objects.filter(program__stores=store, customer__email__iexact=email.strip())
        .order_by("pk")
        .first()
    )


# --- Cards by state, as database conditions (lock-screen audiences, automations). They say in SQL
# what LoyaltyCard.stamp_rewards_ready / can_afford say of one loaded card, and what
# cards.services.maintenance.expire_points applies: a balance expires
# ``points_expiration_days`` after the card's last activity (or its enrolment).

STAMP_PROGRAM_TYPES = ("stamps", "hybrid")
POINTS_PROGRAM_TYPES = ("points", "hybrid")


def _cheapest_reward_by_program() -> dict[int, int]:
    cheapest = {}
    for program in LoyaltyProgram.objects.filter(loyalty_type__in=POINTS_PROGRAM_TYPES).only(
        "pk", "points_rewards", "loyalty_type"
    ):
        costs = [reward["points_cost"] for reward in program.points_rewards or []]
        if costs:
            cheapest[program.pk] = min(costs)
    return cheapest


def reward_ready_condition() -> Q:
    """Cards that could redeem a reward now: a full stamp card, or points paying for the
    programme's cheapest reward."""
    condition = Q(
        program__loyalty_type__in=STAMP_PROGRAM_TYPES,
        program__stamps_target__gt=0,
        stamp_count__gte=F("program__stamps_target"),
    )
    for program_id, cost in _cheapest_reward_by_program().items():
        condition |= Q(program_id=program_id, points_balance__gte=cost)
    return condition


def one_stamp_away_condition() -> Q:
    """Cards one stamp short of their next stamp reward, with no stamp reward ready."""
    return Q(
        program__loyalty_type__in=STAMP_PROGRAM_TYPES,
        program__stamps_target__gt=0,
        stamp_count=F("program__stamps_target") - 1,
    )


def points_expire_at() -> ExpressionWrapper:
    """When a card's points balance expires if nothing happens on it (null: never)."""
    return ExpressionWrapper(
        Coalesce("last_activity_at", "created_at")
        + F("program__points_expiration_days") * timedelta(days=1),
        output_field=DateTimeField(),
    )


def with_points_expiring(
    cards: QuerySet[LoyaltyCard], *, now: datetime, within: timedelta
) -> QuerySet[LoyaltyCard]:
    """The cards whose points balance expires between ``now`` and ``now + within`` unless they
    are used (expire_points takes them once that moment is past)."""
    return (
        cards.filter(program__points_expiration_days__isnull=False, points_balance__gt=0)
        .annotate(points_expire_at=points_expire_at())
        .filter(points_expire_at__gt=now, points_expire_at__lte=now + within)
    )
