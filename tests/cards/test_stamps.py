"""Stamps through the vendor API: every rule and every error code."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard, LoyaltyTransaction
from cards.numbers import luhn_check_digit
from cards.services import StaffAuth, add_stamps
from common.request_meta import RequestMeta
from programs.models import LoyaltyProgram, Store
from staff.models import StaffPin
from tests.cards.helpers import new_card, reload, stamp
from tests.conftest import POINTS_PIN, STAMPS_PIN, Loyalty

pytestmark = pytest.mark.django_db


def _program(loyalty: Loyalty, **fields) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(pk=loyalty.stamps_program.pk).update(**fields)


def test_a_stamp_is_added_and_recorded_in_the_ledger(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    response = stamp(loyalty, card, headers={"user-agent": "Till/2.1"})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["card"]["stamp_count"] == 1
    assert body["card"]["total_stamps_earned"] == 1
    txn = body["transaction"]
    assert (txn["transaction_type"], txn["stamps_delta"], txn["stamps_after"]) == (
        "stamp_earned",
        1,
        1,
    )
    assert txn["staff_pin_id"] == loyalty.stamps_pin_id and txn["source"] == "api"
    with schema_context(loyalty.merchant.schema_name):
        row = LoyaltyTransaction.objects.get(pk=txn["id"])
    assert row.ip_address == "127.0.0.1"
    assert row.store_id == loyalty.stamps_store.pk


def test_several_stamps_at_once(loyalty: Loyalty) -> None:
    response = stamp(loyalty, new_card(loyalty), quantity=3, notes="birthday")
    assert response.json()["card"]["stamp_count"] == 3
    assert response.json()["transaction"]["notes"] == "birthday"


def test_a_second_stamp_within_the_cooldown_is_refused(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    stamp(loyalty, card)
    response = stamp(loyalty, card)

    assert response.status_code == 409
    assert response.json()["code"] == "cooldown_active"
    assert 14 * 60 < response.json()["retry_after"] <= 15 * 60
    assert reload(loyalty, card).stamp_count == 1


def _service_stamp(loyalty: Loyalty, card: LoyaltyCard, now: datetime, quantity: int = 1):
    with schema_context(loyalty.merchant.schema_name):
        return add_stamps(
            card_number=card.card_number,
            quantity=quantity,
            staff=StaffAuth(loyalty.stamps_pin_id, STAMPS_PIN),
            meta=RequestMeta(source="api", now=now),
        )


def test_the_cooldown_ends(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    start = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("UTC"))
    _service_stamp(loyalty, card, start)
    from cards.exceptions import CooldownActive

    with pytest.raises(CooldownActive) as refused:
        _service_stamp(loyalty, card, start + timedelta(minutes=14, seconds=30))
    assert refused.value.extra["retry_after"] == 30
    _service_stamp(loyalty, card, start + timedelta(minutes=15))
    assert reload(loyalty, card).stamp_count == 2


def test_the_daily_limit(loyalty: Loyalty) -> None:
    _program(loyalty, cooldown_minutes=0, max_daily_stamps=5)
    card = new_card(loyalty)
    assert [stamp(loyalty, card).status_code for _ in range(5)] == [201] * 5
    response = stamp(loyalty, card)
    assert response.status_code == 409
    assert response.json()["code"] == "daily_limit_reached"
    assert reload(loyalty, card).stamp_count == 5


def test_a_quantity_beyond_the_daily_limit_is_refused_whole(loyalty: Loyalty) -> None:
    _program(loyalty, cooldown_minutes=0, max_daily_stamps=5)
    card = new_card(loyalty)
    stamp(loyalty, card, quantity=3)
    assert stamp(loyalty, card, quantity=3).json()["code"] == "daily_limit_reached"
    assert stamp(loyalty, card, quantity=2).status_code == 201


def test_the_day_is_the_stores_local_day_across_midnight(loyalty: Loyalty) -> None:
    from cards.exceptions import DailyLimitReached

    _program(loyalty, cooldown_minutes=0, max_daily_stamps=2)
    with schema_context(loyalty.merchant.schema_name):
        Store.objects.filter(pk=loyalty.stamps_store.pk).update(timezone="America/New_York")
    card = new_card(loyalty)
    new_york = ZoneInfo("America/New_York")
    # 23:30 and 23:50 in New York on 1 March are 04:30 and 04:50 UTC on 2 March.
    _service_stamp(loyalty, card, datetime(2026, 3, 1, 23, 30, tzinfo=new_york))
    _service_stamp(loyalty, card, datetime(2026, 3, 1, 23, 50, tzinfo=new_york))
    # 00:10 in Luxembourg-or-UTC terms changed long ago; in New York it is still 1 March at 23:55.
    with pytest.raises(DailyLimitReached):
        _service_stamp(loyalty, card, datetime(2026, 3, 1, 23, 55, tzinfo=new_york))
    # Just after local midnight the count starts again.
    _service_stamp(loyalty, card, datetime(2026, 3, 2, 0, 5, tzinfo=new_york), quantity=2)
    assert reload(loyalty, card).stamp_count == 4


def test_a_wrong_pin_is_refused_and_counted(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    response = stamp(loyalty, card, pin="9999")
    assert response.status_code == 403
    assert response.json()["code"] == "pin_invalid"
    with schema_context(loyalty.merchant.schema_name):
        assert StaffPin.objects.get(pk=loyalty.stamps_pin_id).failed_attempts == 1
        assert not LoyaltyTransaction.objects.exists()


def test_five_wrong_pins_lock_the_pin_even_for_the_right_one(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    codes = [stamp(loyalty, card, pin="9999").json()["code"] for _ in range(5)]
    assert codes == ["pin_invalid"] * 4 + ["pin_locked"]

    response = stamp(loyalty, card)
    assert response.status_code == 403
    assert response.json()["code"] == "pin_locked"
    locked_until = datetime.fromisoformat(response.json()["locked_until"])
    assert (
        timedelta(minutes=29)
        < locked_until - datetime.now(ZoneInfo("UTC"))
        <= timedelta(minutes=30)
    )
    assert reload(loyalty, card).stamp_count == 0


def test_a_success_resets_the_failure_count(loyalty: Loyalty) -> None:
    _program(loyalty, cooldown_minutes=0)
    card = new_card(loyalty)
    for _ in range(4):
        stamp(loyalty, card, pin="9999")
    assert stamp(loyalty, card).status_code == 201
    for _ in range(4):
        assert stamp(loyalty, card, pin="9999").json()["code"] == "pin_invalid"
    assert stamp(loyalty, card).status_code == 201


def test_a_pin_of_another_store_is_refused_and_not_counted(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    response = stamp(loyalty, card, staff_pin_id=loyalty.points_pin_id, pin=POINTS_PIN)
    assert response.status_code == 403
    assert response.json()["code"] == "pin_invalid"
    with schema_context(loyalty.merchant.schema_name):
        assert StaffPin.objects.get(pk=loyalty.points_pin_id).failed_attempts == 0


def test_an_inactive_pin_is_refused(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        StaffPin.objects.filter(pk=loyalty.stamps_pin_id).update(is_active=False)
    assert stamp(loyalty, new_card(loyalty)).json()["code"] == "pin_invalid"


def test_a_pin_is_required_when_the_programme_says_so(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    response = loyalty.api().post(
        "/api/v1/vendor/loyalty/stamp",
        {"card_number": card.card_number},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "pin" in response.json()["errors"]
    _program(loyalty, require_staff_pin=False)
    response = loyalty.api().post(
        "/api/v1/vendor/loyalty/stamp",
        {"card_number": card.card_number},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["transaction"]["staff_pin_id"] is None


@pytest.mark.parametrize(
    ("setup", "code", "status"),
    [
        (lambda: LoyaltyCard.objects.update(is_active=False), "card_inactive", 409),
        (lambda: LoyaltyProgram.objects.update(is_active=False), "program_inactive", 409),
    ],
)
def test_inactive_cards_and_programmes_are_refused(
    loyalty: Loyalty, setup, code: str, status: int
) -> None:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        setup()
    response = stamp(loyalty, card)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_a_points_card_takes_no_stamps(loyalty: Loyalty) -> None:
    card = new_card(loyalty, "bakery")
    response = stamp(loyalty, card, staff_pin_id=loyalty.points_pin_id, pin=POINTS_PIN)
    assert response.status_code == 400
    assert response.json()["code"] == "operation_not_offered"
    assert "errors" not in response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": "two"}, "quantity"),
        ({"pin": "12"}, "pin"),
        ({"staff_pin_id": "x"}, "staff_pin_id"),
        ({"card_number": ""}, "card_number"),
    ],
)
def test_bad_input_is_400(loyalty: Loyalty, body: dict, field: str) -> None:
    response = stamp(loyalty, new_card(loyalty), **body)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_and_mistyped_cards(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    typo = card.card_number[:-1] + str((int(card.card_number[-1]) + 1) % 10)
    response = stamp(loyalty, typo)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "card_number" in response.json()["errors"]
    # A well-formed number (its check digit is right) that no card has: not found, not a typo.
    unknown = "41111111111" + luhn_check_digit("41111111111")
    assert unknown != card.card_number
    response = stamp(loyalty, f"{unknown[:4]} {unknown[4:8]} {unknown[8:]}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_who_may_stamp(loyalty: Loyalty, other_loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    bakery_card = new_card(loyalty, "bakery", email="b@example.com")
    assert stamp(loyalty, card, client=loyalty.api(loyalty.read_key)).status_code == 403
    outsider = other_loyalty.api()  # a valid key, of another merchant, on its own host
    assert stamp(loyalty, card, client=outsider).status_code == 404
    store_key = loyalty.api(loyalty.stamps_store_key)
    assert stamp(loyalty, bakery_card, client=store_key).status_code == 404
    assert stamp(loyalty, card, client=store_key).status_code == 201
