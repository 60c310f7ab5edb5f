"""Enrollment: a customer and their card for a store's programme."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cards.models import Customer, LoyaltyCard, parse_birthday
from cards.signals import card_changed
from common.announcements import announce_after_commit
from common.emails import normalise_email
from programs.exceptions import StoreNotFound
from programs.models import LoyaltyProgram, Store
from programs.selectors import membership_refusal, store_by_code

BIRTHDAY_ERROR = _lazy(
    "Give the birthday as MM-DD, a day of the year such as 04-23 (29 February is 02-29)."
)


@dataclass(frozen=True)
class Enrollment:
    card: LoyaltyCard
    created: bool  # a new card
    new_customer: bool = False  # for a new customer (this e-mail was unknown)

    @property
    def may_be_shown_to_anyone(self) -> bool:
        """Whether a public caller, who may not own the e-mail, may see the card: only a new
        card of a new customer. Anything else would tell them the address is known, and show
        its owner's name."""
        return self.created and self.new_customer


def enroll_customer(
    *,
    store_code: str,
    name: str,
    email: str,
    phone: str = "",
    marketing_consent: bool = False,
    locale: str = "en",
    birthday: str = "",
) -> Enrollment:
    """Give a customer a card for the store's programme; return the existing card when the e-mail
    already has one (whose details, birthday included, stay as they are). ``birthday``: "MM-DD"
    or blank. Concurrent identical requests create one customer and one card: the unique
    constraints decide and the losers read the winner's rows."""
    store = store_by_code(store_code)
    if store is None:
        raise StoreNotFound()
    program = store.program
    if refusal := membership_refusal(store=store, program=program):
        raise refusal
    assert program is not None

    email = normalise_email(email)
    errors = {}
    if not name.strip():
        errors["name"] = [_("Please enter your name.")]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Please enter a valid e-mail address.")]
    birth_month, birth_day = None, None
    try:
        birth_month, birth_day = birthday_parts(birthday)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        customer, new_customer = Customer.objects.get_or_create(
            email=email,
            defaults={
                "name": name.strip(),
                "phone": phone.strip(),
                "locale": locale,
                "marketing_consent": marketing_consent,
                "marketing_consent_at": timezone.now() if marketing_consent else None,
                "enrolled_store": store,
                "birth_month": birth_month,
                "birth_day": birth_day,
            },
        )
        card = LoyaltyCard.objects.filter(customer=customer, program=program).first()
        if card is not None:
            return Enrollment(card=card, created=False)
        card = _create_card(customer=customer, program=program, store=store)
        if card is None:  # a concurrent enrollment of the same e-mail created it first
            card = LoyaltyCard.objects.get(customer=customer, program=program)
            return Enrollment(card=card, created=False)
        announce_after_commit(
            card_changed,
            sender=LoyaltyCard,
            card_id=card.pk,
            transaction_id=None,
            reason="enrolled",
        )
    return Enrollment(card=card, created=True, new_customer=new_customer)


def birthday_parts(birthday: str | None) -> tuple[int | None, int | None]:
    """(month, day) of a birthday given as "MM-DD"; (None, None) when blank. ValidationError
    (field ``birthday``) when it is not a day of the year."""
    if not (birthday or "").strip():
        return None, None
    parsed = parse_birthday(birthday or "")
    if parsed is None:
        raise ValidationError({"birthday": [BIRTHDAY_ERROR]})
    return parsed


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
