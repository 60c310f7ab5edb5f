from __future__ import annotations

import logging

import pytest
from django_tenants.utils import schema_context

from cards.models import LoyaltyTransaction
from staff.models import StaffPin
from tests.cards.helpers import new_card, stamp
from tests.conftest import STAMPS_PIN, Loyalty

pytestmark = pytest.mark.django_db

URL = "/api/v1/vendor/loyalty/pins"


def _create(loyalty: Loyalty, **body):
    payload = {"store_code": "main", "name": "Carol", "pin": "4826", **body}
    return loyalty.api().post(URL, payload, content_type="application/json")


def test_pins_are_created_and_listed_without_the_pin(loyalty: Loyalty, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    response = _create(loyalty)

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Carol" and body["store_code"] == "main"
    assert "4826" not in response.content.decode()
    listed = loyalty.api().get(URL).json()
    assert [p["name"] for p in listed] == ["Bob", "Alice", "Carol"]
    assert "4826" not in str(listed) and "pin_hash" not in str(listed)
    with schema_context(loyalty.merchant.schema_name):
        stored = StaffPin.objects.get(name="Carol")
    assert stored.pin_hash.startswith("$argon2id$") and "4826" not in stored.pin_hash
    assert "4826" not in caplog.text


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("12", "4 to 6 digits"),
        ("1234567", "4 to 6 digits"),
        ("12a4", "4 to 6 digits"),
        ("7777", "same digit"),
        ("3456", "consecutive"),
        ("9876", "consecutive"),
    ],
)
def test_weak_pins_are_refused(loyalty: Loyalty, pin: str, message: str) -> None:
    response = _create(loyalty, pin=pin)
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["pin"])


def test_the_same_pin_is_fine_at_another_store(loyalty: Loyalty) -> None:
    assert _create(loyalty, store_code="bakery", pin=STAMPS_PIN).status_code == 201


def test_two_staff_members_of_a_store_may_share_a_pin_and_each_acts_as_themselves(
    loyalty: Loyalty,
) -> None:
    # Refusing a PIN "already in use" would reveal a colleague's PIN with no attempt counted.
    response = _create(loyalty, pin=STAMPS_PIN)
    assert response.status_code == 201
    carol_id = response.json()["id"]
    # Two cards: the stamp cooldown would refuse a second stamp on one card.
    first, second = new_card(loyalty), new_card(loyalty, email="joe@example.com")

    by_alice = stamp(loyalty, first)
    by_carol = stamp(loyalty, second, staff_pin_id=carol_id)
    assert by_alice.status_code == by_carol.status_code == 201
    with schema_context(loyalty.merchant.schema_name):
        staff = dict(LoyaltyTransaction.objects.values_list("card_id", "staff_pin_id"))
    assert staff == {first.pk: loyalty.stamps_pin_id, second.pk: carol_id}
    # The PIN is checked against the chosen staff member only: another PIN fails for Carol.
    refused = stamp(loyalty, second, staff_pin_id=carol_id, pin="4826")
    assert refused.json()["code"] == "pin_invalid"


def test_names_are_unique_per_store(loyalty: Loyalty) -> None:
    response = _create(loyalty, name="Alice")
    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_an_unknown_store_is_400(loyalty: Loyalty) -> None:
    assert "store_code" in _create(loyalty, store_code="nowhere").json()["errors"]


def test_a_locked_pin_is_unlocked_by_the_merchant(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    for _ in range(5):
        stamp(loyalty, card, pin="9999")
    assert stamp(loyalty, card).json()["code"] == "pin_locked"
    listed = {p["name"]: p for p in loyalty.api().get(URL).json()}
    assert listed["Alice"]["is_locked"] is True

    response = loyalty.api().patch(
        f"{URL}/{loyalty.stamps_pin_id}", {"unlock": True}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["is_locked"] is False
    assert stamp(loyalty, card).status_code == 201


def test_a_pin_is_renamed_and_changed(loyalty: Loyalty) -> None:
    response = loyalty.api().patch(
        f"{URL}/{loyalty.stamps_pin_id}",
        {"name": "Alice B.", "pin": "5173"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["name"] == "Alice B."
    card = new_card(loyalty)
    assert stamp(loyalty, card).json()["code"] == "pin_invalid"
    assert stamp(loyalty, card, pin="5173").status_code == 201


def test_a_deleted_pin_is_deactivated_and_stops_working(loyalty: Loyalty) -> None:
    response = loyalty.api().delete(f"{URL}/{loyalty.stamps_pin_id}")
    assert response.status_code == 204
    with schema_context(loyalty.merchant.schema_name):
        assert StaffPin.objects.get(pk=loyalty.stamps_pin_id).is_active is False
    assert stamp(loyalty, new_card(loyalty)).json()["code"] == "pin_invalid"


def test_who_may_manage_pins(loyalty: Loyalty) -> None:
    assert (
        loyalty.api(loyalty.read_key).post(URL, {}, content_type="application/json").status_code
        == 403
    )
    store_api = loyalty.api(loyalty.stamps_store_key)
    assert [p["name"] for p in store_api.get(URL).json()] == ["Alice"]
    assert (
        store_api.patch(
            f"{URL}/{loyalty.points_pin_id}", {"name": "X"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        loyalty.api()
        .patch(f"{URL}/999999", {"name": "X"}, content_type="application/json")
        .status_code
        == 404
    )


def test_a_wrong_pin_says_how_many_tries_remain_before_the_lock(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    refusals = [stamp(loyalty, card, pin="9999").json() for _ in range(4)]
    assert {body["code"] for body in refusals} == {"pin_invalid"}
    assert [body["attempts_remaining"] for body in refusals] == [4, 3, 2, 1]
    assert refusals[2]["detail"] == "Wrong PIN. 2 tries left before this PIN is locked."
    assert refusals[3]["detail"] == "Wrong PIN. 1 try left before this PIN is locked."
    assert stamp(loyalty, card, pin="9999").json()["code"] == "pin_locked"


def test_a_pin_of_another_store_is_refused_without_counting(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    body = stamp(loyalty, card, staff_pin_id=loyalty.points_pin_id, pin="9999").json()
    assert body["code"] == "pin_invalid" and "attempts_remaining" not in body
