"""The engine under real parallel HTTP requests (live server, committed data, one DB connection
per request thread): nothing is counted twice, no limit is slipped past."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard, LoyaltyTransaction
from cards.services import enroll_customer
from programs.models import LoyaltyProgram
from programs.services import create_program, create_store
from staff.models import StaffPin
from staff.services import create_staff_pin
from tests.concurrency import simultaneously
from tests.conftest import POINTS_PIN, STAMPS_PIN, Loyalty

pytestmark = pytest.mark.usefixtures("committed_db")


class Api:
    def __init__(self, live_server_url: str, loyalty: Loyalty) -> None:
        port = live_server_url.rsplit(":", 1)[1]
        self.base = f"http://127.0.0.1:{port}/api/v1/vendor/loyalty/"
        self.headers = {
            "Host": f"{loyalty.merchant.primary_host}:{port}",
            "Authorization": f"Bearer {loyalty.key}",
        }

    def post(
        self, http: httpx.Client, path: str, body: dict[str, Any], key: str | None = None
    ) -> httpx.Response:
        headers = dict(self.headers, **({"Idempotency-Key": key} if key else {}))
        return http.post(self.base + path, json=body, headers=headers)

    def all_at_once(self, path: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
        def send(index: int, go: Callable[[], object]) -> httpx.Response:
            with httpx.Client(timeout=60) as http:
                go()
                return self.post(http, path, bodies[index])

        return simultaneously(len(bodies), send)


def _card(loyalty: Loyalty, store_code: str, email: str) -> LoyaltyCard:
    with schema_context(loyalty.merchant.schema_name):
        return enroll_customer(store_code=store_code, name="Race", email=email).card


def _codes(responses: list[httpx.Response]) -> Counter:
    return Counter(
        r.json().get("code", r.status_code) if r.status_code != 201 else 201 for r in responses
    )


def test_thirty_simultaneous_stamps_with_a_cooldown_give_one_stamp(
    live_server_url: str, committed_loyalty: Loyalty
) -> None:
    api = Api(live_server_url, committed_loyalty)
    card = _card(committed_loyalty, "main", "race@example.com")
    body = {
        "card_number": card.card_number,
        "staff_pin_id": committed_loyalty.stamps_pin_id,
        "pin": STAMPS_PIN,
    }

    codes = _codes(api.all_at_once("stamp", [body] * 30))

    assert codes == Counter({201: 1, "cooldown_active": 29})
    with schema_context(committed_loyalty.merchant.schema_name):
        assert LoyaltyCard.objects.get(pk=card.pk).stamp_count == 1
        assert LoyaltyTransaction.objects.filter(card=card).count() == 1


def test_thirty_simultaneous_redemptions_with_a_balance_for_one_give_one(
    live_server_url: str, committed_loyalty: Loyalty
) -> None:
    api = Api(live_server_url, committed_loyalty)
    card = _card(committed_loyalty, "bakery", "sweet@example.com")
    with httpx.Client(timeout=30) as http:
        credit = api.post(
            http,
            "points",
            {
                "card_number": card.card_number,
                "purchase_amount_cents": 5000,
                "staff_pin_id": committed_loyalty.points_pin_id,
                "pin": POINTS_PIN,
            },
        )
    assert credit.json()["card"]["points_balance"] == 75
    body = {
        "card_number": card.card_number,
        "reward_id": "cake",
        "staff_pin_id": committed_loyalty.points_pin_id,
        "pin": POINTS_PIN,
    }

    codes = _codes(api.all_at_once("points/redeem", [body] * 30))

    assert codes == Counter({201: 1, "insufficient_points": 29})
    with schema_context(committed_loyalty.merchant.schema_name):
        refreshed = LoyaltyCard.objects.get(pk=card.pk)
    assert (refreshed.points_balance, refreshed.points_redeemed) == (25, 50)


def test_thirty_simultaneous_wrong_pins_lock_the_pin_after_five_evaluations(
    live_server_url: str, committed_loyalty: Loyalty
) -> None:
    api = Api(live_server_url, committed_loyalty)
    cards = [_card(committed_loyalty, "main", f"guess{i}@example.com") for i in range(30)]
    bodies = [
        {
            "card_number": card.card_number,
            "staff_pin_id": committed_loyalty.stamps_pin_id,
            "pin": f"{1000 + i * 7:04d}",
        }
        for i, card in enumerate(cards)
    ]

    codes = _codes(api.all_at_once("stamp", bodies))

    # Evaluated guesses answer pin_invalid, except the fifth, which locks and says so; every
    # other request met the lock before its PIN was looked at.
    assert codes == Counter({"pin_invalid": 4, "pin_locked": 26})
    with schema_context(committed_loyalty.merchant.schema_name):
        pin = StaffPin.objects.get(pk=committed_loyalty.stamps_pin_id)
        assert pin.locked_until is not None
        assert not LoyaltyTransaction.objects.exists()


def test_a_mixed_random_workload_keeps_every_card_equal_to_its_ledger(
    live_server_url: str, committed_loyalty: Loyalty
) -> None:
    schema = committed_loyalty.merchant.schema_name
    with schema_context(schema):
        store = create_store(name="Mix", code="mix")
        create_program(
            store=store,
            loyalty_type="hybrid",
            card_name="Mix",
            stamps_target=3,
            points_per_euro=Decimal("1"),
            cooldown_minutes=0,
            max_daily_stamps=100,
            points_rewards=[{"id": "treat", "name": "Treat", "points_cost": 7}],
        )
        staff_pin = create_staff_pin(store=store, name="Max", pin="8642")
        numbers = [
            enroll_customer(
                store_code="mix", name=f"C{i}", email=f"m{i}@example.com"
            ).card.card_number
            for i in range(100)
        ]
    api = Api(live_server_url, committed_loyalty)
    Replayed = tuple[httpx.Response, httpx.Response]  # the first answer, the retry's

    def worker(seed: int, go: Callable[[], object]) -> tuple[Counter, list[Replayed]]:
        # What the thread saw goes back to the test's thread, which asserts on it.
        outcomes: Counter = Counter()
        replays: list[Replayed] = []
        rng = random.Random(seed)
        with httpx.Client(timeout=60) as http:
            go()
            for step in range(40):
                number = rng.choice(numbers)
                who = {"card_number": number, "staff_pin_id": staff_pin.pk, "pin": "8642"}
                path, body = rng.choice(
                    [
                        ("stamp", {**who, "quantity": rng.randint(1, 3)}),
                        ("points", {**who, "purchase_amount_cents": rng.randint(100, 2500)}),
                        ("stamps/redeem", who),
                        ("points/redeem", {**who, "reward_id": "treat"}),
                    ]
                )
                key = f"w{seed}-{step}" if rng.random() < 0.3 else None
                response = api.post(http, path, body, key)
                retried = api.post(http, path, body, key) if key else None
                outcomes[(response.status_code, response.json().get("code"))] += 1
                if retried is not None:
                    replays.append((response, retried))
                    outcomes["replayed"] += 1
        return outcomes, replays

    outcomes: Counter = Counter()
    replays: list[Replayed] = []
    for seen, replayed in simultaneously(8, worker):
        outcomes.update(seen)
        replays.extend(replayed)

    for response, retried in replays:
        assert retried.status_code == response.status_code
        assert retried.json() == response.json()
    assert sum(v for k, v in outcomes.items() if k != "replayed") == 320
    assert outcomes[(201, None)] > 100, outcomes
    assert set(outcomes) <= {
        (201, None),
        (409, "insufficient_stamps"),
        (409, "insufficient_points"),
        "replayed",
    }, outcomes
    with schema_context(schema), connection.cursor() as cursor:
        assert LoyaltyTransaction.objects.count() == outcomes[(201, None)]
        cursor.execute("""
            SELECT card.card_number
            FROM cards_loyaltycard AS card
            LEFT JOIN cards_loyaltytransaction AS txn ON txn.card_id = card.id
            GROUP BY card.id
            HAVING card.stamp_count <> COALESCE(SUM(txn.stamps_delta), 0)
                OR card.points_balance <> COALESCE(SUM(txn.points_delta), 0)
                OR card.total_stamps_earned <> COALESCE(SUM(txn.stamps_delta)
                       FILTER (WHERE txn.transaction_type = 'stamp_earned'), 0)
                OR card.stamps_redeemed <> -COALESCE(SUM(txn.stamps_delta)
                       FILTER (WHERE txn.transaction_type = 'stamp_redeemed'), 0)
                OR card.total_points_earned <> COALESCE(SUM(txn.points_delta)
                       FILTER (WHERE txn.transaction_type = 'points_earned'), 0)
                OR card.points_redeemed <> -COALESCE(SUM(txn.points_delta)
                       FILTER (WHERE txn.transaction_type = 'points_redeemed'), 0)
                OR card.stamp_count < 0 OR card.points_balance < 0
        """)
        assert cursor.fetchall() == []
        assert LoyaltyProgram.objects.filter(stores__code="mix").exists()
