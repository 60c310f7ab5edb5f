"""A programme's rules across stores under simultaneous requests over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from django_tenants.utils import schema_context

from cards.models import LoyaltyTransaction
from programs.models import LoyaltyProgram, Store
from programs.services import create_store, set_program_stores, update_program
from staff.services import create_api_key, create_staff_pin
from tests.cards.helpers import new_card, reload
from tests.concurrency import simultaneously
from tests.conftest import STAMPS_PIN, Loyalty

pytestmark = pytest.mark.usefixtures("committed_db")


def test_stamps_given_at_two_stores_at_once_stay_within_the_daily_limit(
    live_server_url: str, committed_loyalty: Loyalty
) -> None:
    """Ten tills, five at each of two stores of one programme, stamp one card at the same
    moment: the daily limit (3) holds across both stores."""
    loyalty = committed_loyalty
    with schema_context(loyalty.merchant.schema_name):
        station = create_store(name="Station", code="station")
        set_program_stores(program=loyalty.stamps_program, stores=[loyalty.stamps_store, station])
        update_program(program=loyalty.stamps_program, cooldown_minutes=0, max_daily_stamps=3)
        carol = create_staff_pin(store=station, name="Carol", pin="4826")
        _key, station_key = create_api_key(name="Station", scopes=["write"], store=station)
    card = new_card(loyalty)
    port = live_server_url.rsplit(":", 1)[1]
    url = f"http://127.0.0.1:{port}/api/v1/vendor/loyalty/stamp"
    host = f"{loyalty.merchant.primary_host}:{port}"
    tills = [
        (loyalty.stamps_store_key, loyalty.stamps_pin_id, STAMPS_PIN),
        (station_key, carol.pk, "4826"),
    ]

    def give(index: int, go: Callable[[], object]) -> httpx.Response:
        key, pin_id, pin = tills[index % 2]
        body = {"card_number": card.card_number, "staff_pin_id": pin_id, "pin": pin}
        with httpx.Client(timeout=30) as http:
            go()
            return http.post(
                url, json=body, headers={"Host": host, "Authorization": f"Bearer {key}"}
            )

    responses = simultaneously(10, give)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 3 + [409] * 7
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"daily_limit_reached"}
    with schema_context(loyalty.merchant.schema_name):
        assert reload(loyalty, card).stamp_count == 3
        assert LoyaltyTransaction.objects.filter(card=card).count() == 3


def test_two_programmes_claiming_one_store_at_once_leave_it_in_one(
    live_server_url: str, committed_loyalty: Loyalty
) -> None:
    loyalty = committed_loyalty
    with schema_context(loyalty.merchant.schema_name):
        create_store(name="Kiosk", code="kiosk")
    port = live_server_url.rsplit(":", 1)[1]
    url = f"http://127.0.0.1:{port}/api/v1/vendor/loyalty/programs"
    headers = {
        "Host": f"{loyalty.merchant.primary_host}:{port}",
        "Authorization": f"Bearer {loyalty.key}",
    }

    def create(index: int, go: Callable[[], object]) -> httpx.Response:
        body = {"store_codes": ["kiosk"], "loyalty_type": "stamps", "card_name": f"Card {index}"}
        with httpx.Client(timeout=30) as http:
            go()
            return http.post(url, json=body, headers=headers)

    responses = simultaneously(6, create)

    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    winner = next(r.json() for r in responses if r.status_code == 201)
    with schema_context(loyalty.merchant.schema_name):
        assert Store.objects.get(code="kiosk").program_id == winner["id"]
        # The losers' programmes were not left behind without a store.
        assert LoyaltyProgram.objects.filter(stores__isnull=True).count() == 0
