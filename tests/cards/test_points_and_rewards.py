from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from cards.models import Customer
from cards.services import points_for
from programs.models import LoyaltyProgram
from tests.cards.helpers import new_card, points, reload, stamp
from tests.conftest import POINTS_PIN, STAMPS_PIN, Loyalty

pytestmark = pytest.mark.django_db


def _redeem_points(loyalty: Loyalty, card, reward_id: str):
    return loyalty.api().post(
        "/api/v1/vendor/loyalty/points/redeem",
        {
            "card_number": card.card_number,
            "reward_id": reward_id,
            "staff_pin_id": loyalty.points_pin_id,
            "pin": POINTS_PIN,
        },
        content_type="application/json",
    )


def _redeem_stamps(loyalty: Loyalty, card):
    return loyalty.api().post(
        "/api/v1/vendor/loyalty/stamps/redeem",
        {"card_number": card.card_number, "staff_pin_id": loyalty.stamps_pin_id, "pin": STAMPS_PIN},
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("cents", "rate", "expected"),
    [(1234, "1.50", 18), (99, "1", 0), (100, "1", 1), (1999, "2.5", 49), (100_00, "0.33", 33)],
)
def test_points_are_the_floor_of_euros_times_the_rate(cents: int, rate: str, expected: int) -> None:
    from decimal import Decimal

    assert points_for(purchase_amount_cents=cents, points_per_euro=Decimal(rate)) == expected


def test_a_purchase_earns_points_and_counts_toward_spending(loyalty: Loyalty) -> None:
    card = new_card(loyalty, "bakery")
    response = points(loyalty, card, 1234)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["transaction"]["points_delta"] == 18
    assert body["transaction"]["purchase_amount_cents"] == 1234
    assert body["card"]["points_balance"] == 18
    assert body["card"]["customer"]["total_spent_cents"] == 1234
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get().total_spent_cents == 1234


@pytest.mark.parametrize("cents", [0, -5, "ten", None])
def test_a_purchase_amount_must_be_positive_cents(loyalty: Loyalty, cents) -> None:
    response = points(loyalty, new_card(loyalty, "bakery"), cents)
    assert response.status_code == 400
    assert "purchase_amount_cents" in response.json()["errors"]


def test_a_stamp_card_earns_no_points(loyalty: Loyalty) -> None:
    response = points(
        loyalty, new_card(loyalty), 1000, staff_pin_id=loyalty.stamps_pin_id, pin=STAMPS_PIN
    )
    assert response.status_code == 400
    assert response.json()["code"] == "operation_not_offered"


def test_a_card_redeems_only_its_programme_s_kind_of_reward(loyalty: Loyalty) -> None:
    stamps_card = new_card(loyalty)
    points_card = new_card(loyalty, "bakery", email="b@example.com")
    redeem_points_on_stamps = loyalty.api().post(
        "/api/v1/vendor/loyalty/points/redeem",
        {
            "card_number": stamps_card.card_number,
            "reward_id": "cake",
            "staff_pin_id": loyalty.stamps_pin_id,
            "pin": STAMPS_PIN,
        },
        content_type="application/json",
    )
    redeem_stamps_on_points = loyalty.api().post(
        "/api/v1/vendor/loyalty/stamps/redeem",
        {
            "card_number": points_card.card_number,
            "staff_pin_id": loyalty.points_pin_id,
            "pin": POINTS_PIN,
        },
        content_type="application/json",
    )
    for response in (redeem_points_on_stamps, redeem_stamps_on_points):
        assert response.status_code == 400
        assert response.json()["code"] == "operation_not_offered"


def test_redeeming_points(loyalty: Loyalty) -> None:
    card = new_card(loyalty, "bakery")
    refused = _redeem_points(loyalty, card, "cake")
    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_points"

    points(loyalty, card, 4000)  # 60 points
    response = _redeem_points(loyalty, card, "cake")
    assert response.status_code == 201
    assert response.json()["transaction"]["points_delta"] == -50
    assert response.json()["transaction"]["reward_description"] == "A cake"
    assert response.json()["card"]["points_balance"] == 10
    assert response.json()["card"]["points_redeemed"] == 50
    assert _redeem_points(loyalty, card, "cake").json()["code"] == "insufficient_points"


def test_an_unknown_reward_is_400(loyalty: Loyalty) -> None:
    response = _redeem_points(loyalty, new_card(loyalty, "bakery"), "pony")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "reward_id" in response.json()["errors"]


def test_redeeming_stamps(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(pk=loyalty.stamps_program.pk).update(
            cooldown_minutes=0, max_daily_stamps=20
        )
    card = new_card(loyalty)
    stamp(loyalty, card, quantity=9)
    refused = _redeem_stamps(loyalty, card)
    assert refused.status_code == 409
    assert refused.json()["code"] == "insufficient_stamps"

    stamp(loyalty, card, quantity=3)
    response = _redeem_stamps(loyalty, card)
    assert response.status_code == 201
    assert response.json()["transaction"]["stamps_delta"] == -10
    assert response.json()["transaction"]["reward_description"] == "A free coffee"
    card = reload(loyalty, card)
    assert (card.stamp_count, card.stamps_redeemed, card.total_stamps_earned) == (2, 10, 12)


def test_a_hybrid_card_takes_stamps_and_points(loyalty: Loyalty) -> None:
    from decimal import Decimal

    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(pk=loyalty.stamps_program.pk).update(
            loyalty_type="hybrid", points_per_euro=Decimal("1")
        )
    card = new_card(loyalty)
    assert stamp(loyalty, card).status_code == 201
    assert (
        points(loyalty, card, 500, staff_pin_id=loyalty.stamps_pin_id, pin=STAMPS_PIN).status_code
        == 201
    )
    card = reload(loyalty, card)
    assert (card.stamp_count, card.points_balance) == (1, 5)
