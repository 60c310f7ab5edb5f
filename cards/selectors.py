"""Reads on cards that carry rules: store restrictions of API keys, search, eager loading."""

from __future__ import annotations

from django.db.models import CharField, F, Func, Prefetch, Q, QuerySet, Value

from cards.exceptions import CardNotFound, CustomerNotFound, InvalidCardNumber
from cards.links import wallet_link_relations
from cards.models import Customer, LoyaltyCard, LoyaltyTransaction
from cards.numbers import is_valid_card_number, normalise_card_number
from common.emails import normalise_email
from programs.models import Store, normalise_store_code

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
