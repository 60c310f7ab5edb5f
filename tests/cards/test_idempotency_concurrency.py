"""Simultaneous retries with one Idempotency-Key (real parallel HTTP, committed data): the operation
happens once and every request gets the same answer."""

from __future__ import annotations

import threading

import httpx
import pytest
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard, LoyaltyTransaction
from common.models import IdempotencyRecord
from tests.cards.helpers import new_card
from tests.conftest import POINTS_PIN, Loyalty

pytestmark = pytest.mark.usefixtures("committed_db")


def test_twelve_simultaneous_retries_credit_the_purchase_once(
    live_server_url: str, committed_loyalty: Loyalty
) -> None:
    card = new_card(committed_loyalty, "bakery")
    port = live_server_url.rsplit(":", 1)[1]
    url = f"http://127.0.0.1:{port}/api/v1/vendor/loyalty/points"
    headers = {
        "Host": f"{committed_loyalty.merchant.primary_host}:{port}",
        "Authorization": f"Bearer {committed_loyalty.key}",
        "Idempotency-Key": "order-4711",
    }
    body = {
        "card_number": card.card_number,
        "purchase_amount_cents": 2000,
        "staff_pin_id": committed_loyalty.points_pin_id,
        "pin": POINTS_PIN,
    }
    barrier = threading.Barrier(12)
    responses: list[httpx.Response] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            with httpx.Client(timeout=60) as http:
                barrier.wait()
                response = http.post(url, json=body, headers=headers)
            with lock:
                responses.append(response)
        except BaseException as error:  # checked in the main thread below
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [r.status_code for r in responses] == [201] * 12
    assert all(r.json() == responses[0].json() for r in responses)
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 11
    with schema_context(committed_loyalty.merchant.schema_name):
        assert LoyaltyTransaction.objects.filter(card=card).count() == 1
        assert LoyaltyCard.objects.get(pk=card.pk).points_balance == 30
        assert IdempotencyRecord.objects.filter(key="order-4711").count() == 1
