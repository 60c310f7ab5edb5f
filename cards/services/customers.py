"""Customers as Wizamart and POS systems see them: trusted enrollment and changes to a customer.

A trusted caller (an API key with the write scope) is not a visitor typing an e-mail on a poster's
page: it already knows its customers, so it gets the existing card back. It may also link the
customer to its own id (``external_id``), which then identifies the customer as surely as the
e-mail does. When the two name different customers, nothing is merged: that is a person's call.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.exceptions import CustomerConflict
from cards.models import Customer, LoyaltyCard
from cards.services.enrollment import Enrollment, _create_card, birthday_parts
from cards.signals import card_changed
from common.announcements import announce_after_commit
from common.emails import normalise_email
from programs.models import LoyaltyProgram, Store
from programs.selectors import membership_refusal

# A concurrent enrollment may insert the same e-mail or external ID between our read and our
# insert; after the unique index refuses ours, the next read sees its row. Two rounds settle it,
# the third is spare.
_ATTEMPTS = 3


def enroll_trusted(
    *,
    store: Store,
    name: str,
    email: str,
    phone: str = "",
    external_id: str = "",
    marketing_consent: bool = False,
    locale: str = "en",
    birthday: str = "",
) -> Enrollment:
    """Give a customer a card for the store's programme, as a trusted system asks.

    The customer is the one with this ``external_id``, else the one with this e-mail, else a new
    one; an existing customer's details are left as they are (change them with
    ``update_customer``), except that a customer without an external ID is linked to this one.
    ``created`` is whether a card was made. CustomerConflict when the e-mail and the external ID
    belong to two customers, or the e-mail's customer is linked to another external ID.
    """
    program = store.program
    if refusal := membership_refusal(store=store, program=program):
        raise refusal
    assert program is not None

    name, email, external_id = name.strip(), normalise_email(email), external_id.strip()
    _check_details(name=name, email=email)
    birth_month, birth_day = birthday_parts(birthday)

    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                customer = _matching_customer(email=email, external_id=external_id)
                if customer is None:
                    customer = Customer.objects.create(
                        name=name,
                        email=email,
                        phone=phone.strip(),
                        external_id=external_id,
                        locale=locale,
                        marketing_consent=marketing_consent,
                        marketing_consent_at=timezone.now() if marketing_consent else None,
                        enrolled_store=store,
                        birth_month=birth_month,
                        birth_day=birth_day,
                    )
                elif external_id and not customer.external_id:
                    customer.external_id = external_id
                    customer.save(update_fields=["external_id", "updated_at"])
                return _card_for(customer=customer, program=program, store=store)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _matching_customer(*, email: str, external_id: str) -> Customer | None:
    """The customer this e-mail and external ID name, locked; None for a new one."""
    condition = Q(email=email)
    if external_id:
        condition |= Q(external_id=external_id)
    # Locked: a concurrent link of the same customer to another external ID waits, then reads
    # the row as that one left it.
    found = list(Customer.objects.select_for_update().filter(condition).order_by("pk")[:2])
    by_email = next((c for c in found if c.email == email), None)
    by_external_id = next((c for c in found if external_id and c.external_id == external_id), None)
    if by_email and by_external_id and by_email.pk != by_external_id.pk:
        raise CustomerConflict()
    if by_email and by_external_id is None and external_id and by_email.external_id:
        raise CustomerConflict(
            _("This e-mail address belongs to a customer with another external ID.")
        )
    return by_external_id or by_email


def _card_for(*, customer: Customer, program: LoyaltyProgram, store: Store) -> Enrollment:
    card = LoyaltyCard.objects.filter(customer=customer, program=program).first()
    if card is not None:
        return Enrollment(card=card, created=False)
    card = _create_card(customer=customer, program=program, store=store)
    if card is None:  # a concurrent enrollment of the same customer created it first
        return Enrollment(
            card=LoyaltyCard.objects.get(customer=customer, program=program), created=False
        )
    announce_after_commit(
        card_changed, sender=LoyaltyCard, card_id=card.pk, transaction_id=None, reason="enrolled"
    )
    return Enrollment(card=card, created=True)


def _check_details(*, name: str, email: str) -> None:
    errors = {}
    if not name:
        errors["name"] = [_("Please enter your name.")]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Please enter a valid e-mail address.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def update_customer(
    *,
    customer_id: int,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    locale: str | None = None,
    marketing_consent: bool | None = None,
    external_id: str | None = None,
    birthday: str | None = None,
) -> Customer:
    """Change what is given (None: unchanged). An e-mail or external ID another customer holds is
    refused with CustomerConflict (a blank external ID unlinks the customer). Consent keeps the
    time it was given while it stays given. ``birthday``: "MM-DD", blank forgets it."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    shown_name = customer.name
    if name is not None:
        customer.name = name.strip()
    if email is not None:
        customer.email = normalise_email(email)
    if phone is not None:
        customer.phone = phone.strip()
    if locale is not None:
        customer.locale = locale
    if external_id is not None:
        customer.external_id = external_id.strip()
    if birthday is not None:
        customer.birth_month, customer.birth_day = birthday_parts(birthday)
    if marketing_consent is not None and marketing_consent != customer.marketing_consent:
        customer.marketing_consent = marketing_consent
        customer.marketing_consent_at = timezone.now() if marketing_consent else None
    _check_details(name=customer.name, email=customer.email)

    others = Customer.objects.exclude(pk=customer.pk)
    if email is not None and others.filter(email=customer.email).exists():
        raise CustomerConflict(_("A customer with this e-mail address already exists."))
    if (
        external_id is not None
        and customer.external_id
        and others.filter(external_id=customer.external_id).exists()
    ):
        raise CustomerConflict(_("A customer with this external ID already exists."))
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as error:
        # Another customer took the e-mail or the external ID since the checks above.
        raise CustomerConflict(
            _("Another customer took this e-mail address or external ID meanwhile.")
        ) from error
    if customer.name != shown_name:
        # The cards (and their passes) show the name.
        for card_id in customer.cards.values_list("pk", flat=True):
            announce_after_commit(
                card_changed,
                sender=LoyaltyCard,
                card_id=card_id,
                transaction_id=None,
                reason="customer_renamed",
            )
    return customer
