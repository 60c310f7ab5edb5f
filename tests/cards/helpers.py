"""Helpers for the engine tests: enrolled cards and API calls with a staff PIN."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from cards.services import enroll_customer
from tests.conftest import POINTS_PIN, STAMPS_PIN, Loyalty


def new_card(
    loyalty: Loyalty, store_code: str = "main", email: str = "jane@example.com"
) -> LoyaltyCard:
    with schema_context(loyalty.merchant.schema_name):
        return enroll_customer(store_code=store_code, name="Jane", email=email).card


def stamp(
    loyalty: Loyalty,
    card: LoyaltyCard | str,
    client: Client | None = None,
    headers: dict[str, str] | None = None,
    **body: Any,
):
    number = card if isinstance(card, str) else card.card_number
    payload = {
        "card_number": number,
        "staff_pin_id": loyalty.stamps_pin_id,
        "pin": STAMPS_PIN,
        **body,
    }
    return (client or loyalty.api()).post(
        "/api/v1/vendor/loyalty/stamp", payload, content_type="application/json", headers=headers
    )


def points(loyalty: Loyalty, card: LoyaltyCard, cents: int, **body: Any):
    payload = {
        "card_number": card.card_number,
        "purchase_amount_cents": cents,
        "staff_pin_id": loyalty.points_pin_id,
        "pin": POINTS_PIN,
        **body,
    }
    return loyalty.api().post(
        "/api/v1/vendor/loyalty/points", payload, content_type="application/json"
    )


def reload(loyalty: Loyalty, card: LoyaltyCard) -> LoyaltyCard:
    with schema_context(loyalty.merchant.schema_name):
        return LoyaltyCard.objects.get(pk=card.pk)
