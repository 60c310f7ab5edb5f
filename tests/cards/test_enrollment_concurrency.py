"""Enrollment under 20 simultaneous identical requests over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyCard
from tests.concurrency import simultaneously
from tests.conftest import Loyalty


@pytest.mark.usefixtures("committed_db")
def test_twenty_identical_enrollments_create_one_customer_and_one_card(
    live_server_url: str, committed_loyalty: Loyalty
) -> None:
    port = live_server_url.rsplit(":", 1)[1]
    # *.localhost resolves in browsers but not through every system resolver: send the Host.
    url = f"http://127.0.0.1:{port}/api/v1/loyalty/enroll/main"
    host = {"Host": f"{committed_loyalty.merchant.primary_host}:{port}"}
    body = {"name": "Rush Hour", "email": "rush@example.com", "marketing_consent": False}

    def enroll(index: int, go: Callable[[], object]) -> httpx.Response:
        with httpx.Client(timeout=30) as http:
            go()
            return http.post(url, json=body, headers=host)

    responses = simultaneously(20, enroll)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [202] * 19
    # The other 19 learn nothing of the card (its link goes to the address).
    assert {response.json()["code"] for response in responses if response.status_code == 202} == {
        "card_link_sent"
    }
    with schema_context(committed_loyalty.merchant.schema_name):
        assert Customer.objects.filter(email="rush@example.com").count() == 1
        assert LoyaltyCard.objects.count() == 1
