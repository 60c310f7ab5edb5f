"""No input ever produces a 500 (SPEC §4): odd bodies, types and query strings on every endpoint
answer a 4xx with the error format, and write nothing."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyTransaction
from staff.models import StaffPin
from tests.cards.helpers import new_card
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

ODD_VALUES = [
    None,
    "",
    "x" * 5000,
    -1,
    0,
    2**70,
    1.5,
    "1e400",
    True,
    [],
    {},
    ["1"],
    {"a": 1},
    "\u0000",
    "🙂",
    "<script>",
    "' OR 1=1 --",
]
ODD_BODIES = [
    b"",
    b"not json",
    b"[]",
    b"null",
    b"42",
    b'"text"',
    b"{",
    b'{"a": NaN}',
    b"\xff\xfe",
    json.dumps({"card_number": {"$gt": ""}}).encode(),
]
WRITES = {
    "/api/v1/vendor/loyalty/stamp": ["card_number", "staff_pin_id", "pin", "quantity", "notes"],
    "/api/v1/vendor/loyalty/points": ["card_number", "purchase_amount_cents", "staff_pin_id"],
    "/api/v1/vendor/loyalty/stamps/redeem": ["card_number", "staff_pin_id", "pin"],
    "/api/v1/vendor/loyalty/points/redeem": ["card_number", "reward_id", "pin"],
    "/api/v1/vendor/loyalty/pins": ["store_code", "name", "pin"],
    "/api/v1/vendor/loyalty/programs": ["store_code", "loyalty_type", "stamps_target"],
    "/api/v1/loyalty/enroll/main": ["name", "email", "phone", "marketing_consent", "locale"],
    "/api/v1/loyalty/card-link/main": ["email"],
}
READS = [
    "/api/v1/vendor/loyalty/cards?search=%00&program=-1&store=%FF&limit=-5&offset=abc",
    "/api/v1/vendor/loyalty/cards?limit=99999999999999999999",
    "/api/v1/vendor/loyalty/cards/%00",
    "/api/v1/vendor/loyalty/cards/" + "9" * 300,
    "/api/v1/vendor/loyalty/transactions?since=yesterday&until=2026-13-45",
    "/api/v1/vendor/loyalty/transactions?card_number=abc&transaction_type=nope&format=csv",
    "/api/v1/vendor/loyalty/transactions?offset=-1&limit=0",
    "/api/v1/vendor/loyalty/programs/99999999999999999999",
    "/api/v1/vendor/loyalty/pins/99999999999999999999",
]


def _counts(loyalty: Loyalty) -> tuple[int, int, int]:
    with schema_context(loyalty.merchant.schema_name):
        return (
            LoyaltyTransaction.objects.count(),
            Customer.objects.count(),
            StaffPin.objects.count(),
        )


def _assert_client_error(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] and body["detail"]


def test_odd_bodies_are_refused_with_a_code(loyalty: Loyalty) -> None:
    new_card(loyalty)
    before = _counts(loyalty)
    api = loyalty.api()
    for path in WRITES:
        for raw in ODD_BODIES:
            _assert_client_error(api.post(path, raw, content_type="application/json"))
        _assert_client_error(api.post(path, "card_number=1", content_type="text/plain"))
    assert _counts(loyalty) == before


def test_odd_values_in_every_field_are_refused_with_a_code(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    before = _counts(loyalty)
    api = loyalty.api()
    for path, fields in WRITES.items():
        for value in ODD_VALUES:
            body = {name: value for name in fields}
            _assert_client_error(api.post(path, body, content_type="application/json"))
            # And next to a valid card number, so the checks behind the lookup are reached too.
            body["card_number"] = card.card_number
            _assert_client_error(api.post(path, body, content_type="application/json"))
    for value in ODD_VALUES:
        _assert_client_error(
            api.patch(
                "/api/v1/vendor/loyalty/pins/1",
                {"name": value, "pin": value, "is_active": value, "unlock": value},
                content_type="application/json",
            )
        )
        _assert_client_error(
            api.patch(
                f"/api/v1/vendor/loyalty/programs/{loyalty.stamps_program.pk}",
                {"stamps_target": value, "card_color": value, "cooldown_minutes": value},
                content_type="application/json",
            )
        )
    assert _counts(loyalty) == before


def test_odd_query_strings_and_paths_never_fail_the_server(loyalty: Loyalty) -> None:
    api = loyalty.api()
    for path in READS:
        response = api.get(path)
        assert response.status_code < 500, (path, response.status_code, response.content[:300])


PAGES_WITH_NUL = [
    "/join/%00/",
    "/c/%00/",
    "/c/%00/qr.svg",
    "/api/v1/loyalty/enroll/%00",
    "/api/v1/vendor/loyalty/cards?search=%00",
    "/api/v1/vendor/loyalty/cards?store=%00",
    "/api/v1/vendor/loyalty/cards/%00",
    "/api/v1/vendor/loyalty/transactions?card_number=%00&store_code=%00",
]


@pytest.mark.parametrize("path", PAGES_WITH_NUL)
def test_a_nul_character_anywhere_is_a_client_error(loyalty: Loyalty, path: str) -> None:
    api = loyalty.api()
    if "enroll" in path:
        response = api.post(path, {}, content_type="application/json")
    else:
        response = api.get(path)
    assert response.status_code == 400, (path, response.status_code)
    if path.startswith("/api/"):
        assert response.json()["code"] == "invalid"
    else:
        assert "The address contains a character that is not allowed." in response.content.decode()


def test_a_nul_character_in_a_page_form_is_a_field_error(loyalty: Loyalty) -> None:
    before = _counts(loyalty)
    response = client_for(loyalty.merchant).post(
        "/join/main/", {"name": "Jane\x00", "email": "jane@example.com", "locale": "en"}
    )
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
    assert _counts(loyalty) == before
