"""Every write endpoint takes an Idempotency-Key (SPEC §3): a retry by the same caller gets the
first response back and writes nothing; keys belong to their caller."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyTransaction
from common.models import IdempotencyRecord
from programs.models import LoyaltyProgram
from programs.services import create_store
from staff.models import StaffPin
from tests.cards.helpers import new_card, points
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

VENDOR = "/api/v1/vendor/loyalty/"


def _send(client: Client, method: str, path: str, body: Any, key: str) -> Any:
    return getattr(client, method)(
        path,
        "" if body is None else body,
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def _twice(client: Client, method: str, path: str, body: Any, key: str = "k-1") -> tuple:
    first = _send(client, method, path, body, key)
    again = _send(client, method, path, body, key)
    assert again.status_code == first.status_code
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    if first.content:
        assert again.json() == first.json()
    return first, again


def test_enrollment_is_answered_once_per_client_and_key(loyalty: Loyalty) -> None:
    body = {"name": "Jane", "email": "jane@example.com", "marketing_consent": False}
    first, _again = _twice(
        client_for(loyalty.merchant), "post", "/api/v1/loyalty/enroll/main", body
    )

    # Without the key, the second call would have answered 202 "card_link_sent".
    assert first.status_code == 201
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.count() == 1


def test_pin_creation_change_and_deactivation_are_replayed(loyalty: Loyalty) -> None:
    api = loyalty.api()
    created, _ = _twice(
        api, "post", VENDOR + "pins", {"store_code": "main", "name": "Carol", "pin": "4826"}
    )
    # Sent again without replay, the same name would be refused as already used (400).
    assert created.status_code == 201
    pin_id = created.json()["id"]
    changed, _ = _twice(api, "patch", f"{VENDOR}pins/{pin_id}", {"name": "Caroline"}, key="k-2")
    assert changed.status_code == 200 and changed.json()["name"] == "Caroline"
    removed, _ = _twice(api, "delete", f"{VENDOR}pins/{pin_id}", None, key="k-3")
    assert removed.status_code == 204
    with schema_context(loyalty.merchant.schema_name):
        assert StaffPin.objects.filter(name__startswith="Carol").count() == 1


def test_programme_creation_and_change_are_replayed(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        create_store(name="Kiosk", code="kiosk")
    api = loyalty.api()
    body = {
        "store_code": "kiosk",
        "loyalty_type": "stamps",
        "card_name": "Kiosk",
        "stamps_target": 8,
    }
    created, _ = _twice(api, "post", VENDOR + "programs", body)
    # Sent again without replay: 409 program_exists.
    assert created.status_code == 201
    program_id = created.json()["id"]
    changed, _ = _twice(api, "patch", f"{VENDOR}programs/{program_id}", {"stamps_target": 9}, "k-2")
    assert changed.json()["stamps_target"] == 9
    with schema_context(loyalty.merchant.schema_name):
        assert LoyaltyProgram.objects.filter(stores__code="kiosk").count() == 1


def test_card_operations_are_replayed(loyalty: Loyalty) -> None:
    card = new_card(loyalty, "bakery")
    first = points(loyalty, card, 1000, **{})  # a purchase without a key
    assert first.status_code == 201
    api = loyalty.api()
    body = {
        "card_number": card.card_number,
        "purchase_amount_cents": 2000,
        "staff_pin_id": loyalty.points_pin_id,
        "pin": "1397",
    }
    keyed, _ = _twice(api, "post", VENDOR + "points", body)
    assert keyed.json()["card"]["points_balance"] == 15 + 30
    with schema_context(loyalty.merchant.schema_name):
        assert LoyaltyTransaction.objects.filter(card=card).count() == 2


def test_keys_belong_to_their_caller(loyalty: Loyalty) -> None:
    """Two integrations that happen to use the same key do two things, each replayed to itself."""
    card = new_card(loyalty, "bakery")
    body = {
        "card_number": card.card_number,
        "purchase_amount_cents": 1000,
        "staff_pin_id": loyalty.points_pin_id,
        "pin": "1397",
    }
    wizamart = _send(loyalty.api(), "post", VENDOR + "points", body, "order-1")
    with schema_context(loyalty.merchant.schema_name):
        from staff.services import create_api_key

        _key, pos_secret = create_api_key(name="POS", scopes=["read", "write"])
    pos = _send(loyalty.api(pos_secret), "post", VENDOR + "points", body, "order-1")

    assert (wizamart.status_code, pos.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in pos
    assert pos.json()["card"]["points_balance"] == 30
    with schema_context(loyalty.merchant.schema_name):
        assert LoyaltyTransaction.objects.filter(card=card).count() == 2
        assert IdempotencyRecord.objects.filter(key="order-1").count() == 2


def test_an_invalid_request_is_not_remembered(loyalty: Loyalty) -> None:
    """A request refused for its input wrote nothing: corrected, it may reuse its key."""
    api = loyalty.api()
    path = VENDOR + "pins"
    refused = _send(api, "post", path, {"store_code": "main", "name": "Carol", "pin": "1234"}, "p")
    assert refused.status_code == 400
    fixed = _send(api, "post", path, {"store_code": "main", "name": "Carol", "pin": "4826"}, "p")
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed
