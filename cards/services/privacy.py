"""A customer's data rights (GDPR Art. 15, 17, 20): everything we hold about them as JSON, and the
erasure of their personal data. Every export and erasure is recorded (``DataRequest``).

Erasure keeps the customer row and the ledger: ledger rows reach the customer through the cards,
and the cards' counters must still equal the ledger's sums. What identifies the person goes: the
name, e-mail, phone, external ID and birthday; the client address and user agent of the ledger
rows on their cards (the ledger trigger lets exactly that through, migration 0012); the copies of
those values in stored idempotent responses and in the back office's history. The cards are blocked
(their passes show voided) and their page links rotated (the old link is dead). After commit,
``customer_erased`` lets the apps above forget what they keep (wallets: the devices' registrations).

What is *not* touched: the ledger's ``notes`` (free text the staff typed; the ledger is
append-only apart from the client columns) and the merchant's own data (stores, programmes).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from cards.models import (
    Customer,
    DataRequest,
    DataRequestKind,
    LoyaltyCard,
    LoyaltyTransaction,
    _public_token,
)
from cards.services.operations import set_card_active
from cards.signals import card_changed, customer_erased
from common.announcements import announce_after_commit
from common.models import IdempotencyRecord

EXPORT_FORMAT = "loyalty-customer-export/1"
# Stored in the row, not shown through gettext: it is data, the same in every language.
ERASED_NAME = "Erased customer"
# ``.invalid`` is reserved (RFC 2606): no mail is ever delivered there, and no one types it.
ERASED_EMAIL_DOMAIN = "erased.invalid"

# What the apps above cards add to an export, keyed by card id (wallets: the pass's presence on
# devices). cards never imports them: they register here from their ``apps.ready()``.
ExportPart = Callable[[list[int]], dict[int, dict[str, Any]]]
_export_parts: dict[str, ExportPart] = {}


def register_export_part(name: str, part: ExportPart) -> None:
    """Add ``part``'s answer under ``name`` to each card of an export."""
    _export_parts[name] = part


def _requested_by(value: str) -> str:
    return (value.strip() or "unknown")[:200]


def _record(*, customer_id: int, kind: str, requested_by: str) -> DataRequest:
    return DataRequest.objects.create(
        customer_id=customer_id, kind=kind, requested_by=_requested_by(requested_by)
    )


@transaction.atomic
def export_customer(*, customer: Customer, requested_by: str) -> dict[str, Any]:
    """Everything we hold about ``customer``: profile, cards with balances, every ledger row on
    them (staff shown by name; nothing of other customers or of the staff's secrets), and what
    the apps above add (wallet presence). Recorded as an export ``requested_by``."""
    customer = Customer.objects.select_related("enrolled_store").get(pk=customer.pk)
    cards = list(
        LoyaltyCard.objects.filter(customer=customer)
        .select_related("program", "store")
        .order_by("created_at", "pk")
    )
    rows_by_card: dict[int, list[dict[str, Any]]] = {card.pk: [] for card in cards}
    rows = (
        LoyaltyTransaction.objects.filter(card__in=cards)
        .select_related("store", "staff_pin")
        .order_by("created_at", "pk")
    )
    for txn in rows:
        rows_by_card[txn.card_id].append(_ledger_row(txn))
    extras = {name: part([card.pk for card in cards]) for name, part in _export_parts.items()}
    _record(customer_id=customer.pk, kind=DataRequestKind.EXPORT, requested_by=requested_by)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "customer": _profile(customer),
        "cards": [
            {
                **_card(card),
                **{name: answer.get(card.pk) for name, answer in extras.items()},
                "transactions": rows_by_card[card.pk],
            }
            for card in cards
        ],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _profile(customer: Customer) -> dict[str, Any]:
    store = customer.enrolled_store
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "external_id": customer.external_id,
        "locale": customer.locale,
        "marketing_consent": customer.marketing_consent,
        "marketing_consent_at": _iso(customer.marketing_consent_at),
        "total_spent_cents": customer.total_spent_cents,
        "birthday": customer.birthday,
        "enrolled_store": {"code": store.code, "name": store.name} if store else None,
        "created_at": _iso(customer.created_at),
        "updated_at": _iso(customer.updated_at),
        "erased_at": _iso(customer.erased_at),
    }


def _card(card: LoyaltyCard) -> dict[str, Any]:
    return {
        "card_number": card.card_number,
        "programme": card.program.card_name,
        "store": {"code": card.store.code, "name": card.store.name},
        "is_active": card.is_active,
        "stamp_count": card.stamp_count,
        "total_stamps_earned": card.total_stamps_earned,
        "stamps_redeemed": card.stamps_redeemed,
        "points_balance": card.points_balance,
        "total_points_earned": card.total_points_earned,
        "points_redeemed": card.points_redeemed,
        "created_at": _iso(card.created_at),
        "last_activity_at": _iso(card.last_activity_at),
    }


def _ledger_row(txn: LoyaltyTransaction) -> dict[str, Any]:
    return {
        "id": txn.pk,
        "created_at": _iso(txn.created_at),
        "transaction_type": txn.transaction_type,
        "stamps_delta": txn.stamps_delta,
        "points_delta": txn.points_delta,
        "stamps_after": txn.stamps_after,
        "points_after": txn.points_after,
        "purchase_amount_cents": txn.purchase_amount_cents,
        "reward_id": txn.reward_id,
        "reward_description": txn.reward_description,
        "store": txn.store.code,
        # The staff member's name only: their PIN's hash, lockouts and usage are theirs.
        "staff": txn.staff_pin.name if txn.staff_pin else None,
        "source": txn.source,
        "ip_address": txn.ip_address,
        "user_agent": txn.user_agent,
        "notes": txn.notes,
    }


def is_erased(customer: Customer) -> bool:
    return customer.erased_at is not None


@transaction.atomic
def erase_customer(*, customer: Customer, requested_by: str) -> Customer:
    """Erase ``customer``'s personal data (see the module's docstring), in one transaction;
    recorded as an erasure ``requested_by``. Erasing an erased customer changes nothing but a
    card unblocked since (blocked again, its link rotated); it is recorded again."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    cards = list(LoyaltyCard.objects.filter(customer=customer).order_by("pk"))
    first_time = not is_erased(customer)
    if first_time:
        old = Customer(
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            external_id=customer.external_id,
        )
        customer.name = ERASED_NAME
        customer.email = f"erased-{secrets.token_hex(12)}@{ERASED_EMAIL_DOMAIN}"
        customer.phone = ""
        customer.external_id = ""
        customer.birth_month = customer.birth_day = None
        customer.marketing_consent = False
        customer.marketing_consent_at = None
        customer.erased_at = timezone.now()
        customer.save()
        _forget_copies(
            customer=customer, old=old, card_numbers=[card.card_number for card in cards]
        )

    card_ids = [card.pk for card in cards]
    for card in cards:
        if not first_time and not card.is_active:
            continue  # erased and blocked already: nothing changes
        set_card_active(card=card, active=False)  # announces card_deactivated: passes voided
        # The old card page link is dead: a new token nobody was given.
        LoyaltyCard.objects.filter(pk=card.pk).update(
            public_token=_public_token(), updated_at=timezone.now()
        )
        # The passes show the holder's name: re-sent without it (a blocked card too).
        announce_after_commit(
            card_changed,
            sender=LoyaltyCard,
            card_id=card.pk,
            transaction_id=None,
            reason="customer_erased",
        )
    # The client columns of the customer's ledger rows (the trigger lets only this through).
    LoyaltyTransaction.objects.filter(card__in=card_ids).filter(
        ~Q(ip_address=None) | ~Q(user_agent="")
    ).update(ip_address=None, user_agent="")
    _record(customer_id=customer.pk, kind=DataRequestKind.ERASURE, requested_by=requested_by)
    announce_after_commit(
        customer_erased, sender=Customer, customer_id=customer.pk, card_ids=card_ids
    )
    return customer


def _forget_copies(*, customer: Customer, old: Customer, card_numbers: list[str]) -> None:
    """The copies of the erased values kept elsewhere in the merchant's schema: stored idempotent
    responses (a replay then shows the erased customer) and the back office's history."""
    replacements = {
        value: replacement
        for value, replacement in (
            (old.email, customer.email),
            (old.name, ERASED_NAME),
            (old.phone, ""),
            (old.external_id, ""),
        )
        if value
    }
    # Only the records about this customer: their e-mail or one of their card numbers is in it
    # (a name alone, "Jane", would find other customers' responses too).
    about = Q(body_text__icontains=old.email)
    for number in card_numbers:
        about |= Q(body_text__icontains=number)
    records = IdempotencyRecord.objects.annotate(
        body_text=Cast("response_body", TextField())
    ).filter(about)
    for record in records.select_for_update(of=("self",)):
        record.response_body = _scrub(record.response_body, replacements)
        record.save(update_fields=["response_body"])

    # The back office's history names the customer as "name <e-mail>".
    content_type = ContentType.objects.get_for_model(Customer)
    entries = LogEntry.objects.filter(
        Q(content_type=content_type, object_id=str(customer.pk))
        | Q(object_repr__icontains=old.email)
    )
    for entry in entries:
        entry.object_repr = _scrub(entry.object_repr, replacements)[:200]
        entry.save(update_fields=["object_repr"])


def _scrub(data: Any, replacements: dict[str, str]) -> Any:
    if isinstance(data, str):
        for value, replacement in replacements.items():
            if value.lower() in data.lower():
                data = (
                    replacement
                    if data.lower() == value.lower()
                    else _replace_ci(data, value, replacement)
                )
        return data
    if isinstance(data, list):
        return [_scrub(item, replacements) for item in data]
    if isinstance(data, dict):
        return {key: _scrub(item, replacements) for key, item in data.items()}
    return data


def _replace_ci(text: str, value: str, replacement: str) -> str:
    lowered, needle = text.lower(), value.lower()
    out, start = [], 0
    while (found := lowered.find(needle, start)) != -1:
        out.append(text[start:found])
        out.append(replacement)
        start = found + len(value)
    out.append(text[start:])
    return "".join(out)
