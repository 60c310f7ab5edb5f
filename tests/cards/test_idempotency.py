from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.models import LoyaltyTransaction
from common.models import IdempotencyRecord
from merchants.tasks import purge_idempotency_records_everywhere_task
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty

pytestmark = pytest.mark.django_db


def test_a_retry_with_the_same_key_replays_the_first_response(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    first = stamp(loyalty, card, headers={"idempotency-key": "till-1-0001"})
    again = stamp(loyalty, card, headers={"idempotency-key": "till-1-0001"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with schema_context(loyalty.merchant.schema_name):
        assert LoyaltyTransaction.objects.count() == 1
        assert LoyaltyTransaction.objects.get().idempotency_key == "till-1-0001"


def test_a_refusal_is_replayed_too(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    stamp(loyalty, card)
    first = stamp(loyalty, card, headers={"idempotency-key": "k2"})
    again = stamp(loyalty, card, headers={"idempotency-key": "k2"})
    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()


def test_the_same_key_for_another_request_is_refused(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    stamp(loyalty, card, headers={"idempotency-key": "k3"})
    response = stamp(loyalty, card, quantity=2, headers={"idempotency-key": "k3"})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    with schema_context(loyalty.merchant.schema_name):
        assert LoyaltyTransaction.objects.count() == 1


def test_different_keys_are_different_operations(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    assert stamp(loyalty, card, headers={"idempotency-key": "a"}).status_code == 201
    assert stamp(loyalty, card, headers={"idempotency-key": "b"}).json()["code"] == (
        "cooldown_active"
    )


def test_an_unusable_key_is_400(loyalty: Loyalty) -> None:
    response = stamp(loyalty, new_card(loyalty), headers={"idempotency-key": "x" * 201})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


def test_old_keys_are_forgotten_every_day(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    stamp(loyalty, card, headers={"idempotency-key": "old"})
    with schema_context(loyalty.merchant.schema_name):
        IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=31))
    stamp(loyalty, new_card(loyalty, email="b@example.com"), headers={"idempotency-key": "new"})

    assert purge_idempotency_records_everywhere_task.delay().get() == 1
    with schema_context(loyalty.merchant.schema_name):
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
        assert LoyaltyTransaction.objects.count() == 2  # the ledger keeps everything
