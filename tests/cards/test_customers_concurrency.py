"""Trusted enrollment under 10 simultaneous requests for one external ID, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyCard
from tests.concurrency import simultaneously
from tests.conftest import Loyalty


@pytest.mark.usefixtures("committed_db")
def test_ten_enrollments_of_one_external_id_create_one_customer(
    live_server_url: str, committed_loyalty: Loyalty
) -> None:
    port = live_server_url.rsplit(":", 1)[1]
    url = f"http://127.0.0.1:{port}/api/v1/vendor/loyalty/customers"
    headers = {
        "Host": f"{committed_loyalty.merchant.primary_host}:{port}",
        "Authorization": f"Bearer {committed_loyalty.key}",
    }

    def enroll(index: int, go: Callable[[], object]) -> httpx.Response:
        # Each with its own e-mail: only the external ID's unique index can tell they are one.
        body = {
            "store_code": "main",
            "name": "Rush Hour",
            "email": f"rush{index}@example.com",
            "external_id": "W-42",
            "marketing_consent": False,
        }
        with httpx.Client(timeout=30) as http:
            go()
            return http.post(url, json=body, headers=headers)

    responses = simultaneously(10, enroll)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 9 + [201], [r.text[:200] for r in responses]
    assert len({response.json()["card_number"] for response in responses}) == 1
    with schema_context(committed_loyalty.merchant.schema_name):
        assert Customer.objects.filter(external_id="W-42").count() == 1
        assert Customer.objects.count() == 1
        assert LoyaltyCard.objects.count() == 1
