"""One e-mailed data link confirmed 10 times at once (a double click, a page reloaded on two
devices), over real HTTP: the export or the erasure happens once, recorded once."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest
from django_tenants.utils import schema_context

from cards.models import Customer, DataRequest, LoyaltyCard
from cards.services import enroll_customer
from cards.services.self_service import data_link_url
from tests.concurrency import simultaneously
from tests.conftest import Loyalty

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.mark.usefixtures("committed_db")
@pytest.mark.parametrize("action", ["export", "erase"])
def test_ten_confirmations_of_one_link_act_once(
    live_server_url: str, committed_loyalty: Loyalty, action: str
) -> None:
    shop = committed_loyalty
    port = live_server_url.rsplit(":", 1)[1]
    with schema_context(shop.merchant.schema_name):
        card = enroll_customer(store_code="main", name="Rush Hour", email="rush@example.com").card
        link = urlsplit(
            data_link_url(card=LoyaltyCard.objects.get(pk=card.pk), action=action, host="shop")
        )
    url = f"http://127.0.0.1:{port}{link.path}?{link.query}"
    host = {"Host": f"{shop.merchant.primary_host}:{port}"}
    # One visit to the page gives the CSRF cookie and the form's token, as the browser holds them.
    with httpx.Client(timeout=30) as http:
        page = http.get(url, headers=host)
        assert page.status_code == 200, page.text[:300]
        form_token = CSRF_FIELD.search(page.text)
        assert form_token is not None
        cookies = dict(http.cookies)

    def confirm(_index: int, go: Callable[[], object]) -> httpx.Response:
        with httpx.Client(timeout=30, cookies=cookies) as http:
            go()
            return http.post(url, data={"csrfmiddlewaretoken": form_token[1]}, headers=host)

    responses = simultaneously(10, confirm)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [410] * 9, [r.text[:200] for r in responses]
    with schema_context(shop.merchant.schema_name):
        records = list(
            DataRequest.objects.filter(customer_id=card.customer_id).values_list("kind", flat=True)
        )
        assert records == [{"export": "export", "erase": "erasure"}[action]]
        erased = Customer.objects.get(pk=card.customer_id).erased_at is not None
    assert erased is (action == "erase")
