"""The till, the API and the customer's card page ask the same rules: a refusal reads the same
words at the counter and in the API's ``detail``; a reward is ready (or affordable) on all of them
at once; both pages draw the same stamp grid; a PIN has one format."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from cards.services import adjust
from common.request_meta import RequestMeta
from programs.models import LoyaltyProgram
from staff.models import StaffPin
from tests.cards.helpers import new_card, stamp
from tests.conftest import POINTS_PIN, STAMPS_PIN, Loyalty, client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/vendor/loyalty"
CASHIER = {"username": "cashier", "password": "counter passphrase 7"}


@pytest.fixture
def till(loyalty: Loyalty) -> Client:
    """A signed-in cashier whose device is set to the stamps store."""
    with schema_context(loyalty.merchant.schema_name):
        User.objects.create_user(**CASHIER)
    client = client_for(loyalty.merchant)
    assert client.post("/staff/login/", CASHIER).status_code == 302
    assert client.post("/staff/store/", {"store": "main"}).status_code == 302
    return client


def _at_the_till(till: Client, card: LoyaltyCard, action: str, **data: Any) -> str:
    """The page the cashier sees after submitting ``action`` (a fresh form token each time)."""
    response = till.post(
        f"/staff/card/{card.card_number}/{action}/", {"op": str(uuid.uuid4()), **data}, follow=True
    )
    return html.unescape(response.content.decode())


def _in_the_api(
    loyalty: Loyalty,
    path: str,
    card: LoyaltyCard,
    key: str | None = None,
    language: str = "en",
    **data: Any,
):
    return loyalty.api(key, **{"Accept-Language": language}).post(
        f"{API}/{path}", {"card_number": card.card_number, **data}, content_type="application/json"
    )


def _change_programme(loyalty: Loyalty, **fields: Any) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(stores__code="main").update(**fields)


def _give(loyalty: Loyalty, card: LoyaltyCard, *, stamps: int = 0, points: int = 0) -> None:
    with schema_context(loyalty.merchant.schema_name):
        adjust(
            card=card,
            stamps_delta=stamps,
            points_delta=points,
            notes="paper card",
            meta=RequestMeta.system(),
        )


# --- Refusals: one message, in the exception


def _cooldown(loyalty: Loyalty, till: Client) -> tuple[Callable[..., Any], str]:
    card = new_card(loyalty)
    assert stamp(loyalty, card).status_code == 201
    return _stamping(loyalty, till, card), "Wait 15 more minutes."


def _daily_limit(loyalty: Loyalty, till: Client) -> tuple[Callable[..., Any], str]:
    _change_programme(loyalty, cooldown_minutes=0, max_daily_stamps=2)
    card = new_card(loyalty)
    assert stamp(loyalty, card, quantity=2).status_code == 201
    return _stamping(loyalty, till, card), "today's limit of 2 stamps"


def _wrong_pin(loyalty: Loyalty, till: Client) -> tuple[Callable[..., Any], str]:
    card = new_card(loyalty)
    fields = {"staff_pin_id": loyalty.stamps_pin_id, "pin": "9999", "quantity": 1}

    def both(language: str) -> tuple[Any, str]:
        # Each the first wrong PIN of its own (the count of tries left is in the words).
        api = _in_the_api(loyalty, "stamp", card, language=language, **fields)
        with schema_context(loyalty.merchant.schema_name):
            StaffPin.objects.filter(pk=loyalty.stamps_pin_id).update(failed_attempts=0)
        return api, _at_the_till(till, card, "stamp", **fields)

    return both, "Wrong PIN. 4 tries left before this PIN is locked."


def _locked_pin(loyalty: Loyalty, till: Client) -> tuple[Callable[..., Any], str]:
    card = new_card(loyalty)
    for _attempt in range(5):
        stamp(loyalty, card, pin="9999")
    return _stamping(loyalty, till, card), "after too many wrong attempts"


def _too_few_stamps(loyalty: Loyalty, till: Client) -> tuple[Callable[..., Any], str]:
    card = new_card(loyalty)
    _give(loyalty, card, stamps=9)
    pin = {"staff_pin_id": loyalty.stamps_pin_id, "pin": STAMPS_PIN}

    def both(language: str) -> tuple[Any, str]:
        return (
            _in_the_api(loyalty, "stamps/redeem", card, language=language, **pin),
            _at_the_till(till, card, "redeem-stamps", **pin),
        )

    return both, "9 of 10"


def _another_stores_card(loyalty: Loyalty, till: Client) -> tuple[Callable[..., Any], str]:
    card = new_card(loyalty, "bakery")  # the till and the key are the stamps store's

    def both(language: str) -> tuple[Any, str]:
        lookup = till.get("/staff/", {"number": card.card_number})
        return (
            _in_the_api(
                loyalty,
                "stamp",
                card,
                key=loyalty.stamps_store_key,
                language=language,
                staff_pin_id=loyalty.stamps_pin_id,
                pin=STAMPS_PIN,
            ),
            html.unescape(lookup.content.decode()),
        )

    return both, "at this store"


def _stamping(loyalty: Loyalty, till: Client, card: LoyaltyCard, pin: str = STAMPS_PIN):
    fields = {"staff_pin_id": loyalty.stamps_pin_id, "pin": pin, "quantity": 1}

    def both(language: str) -> tuple[Any, str]:
        return (
            _in_the_api(loyalty, "stamp", card, language=language, **fields),
            _at_the_till(till, card, "stamp", **fields),
        )

    return both


@pytest.mark.parametrize(
    ("situation", "code", "language"),
    [
        (_cooldown, "cooldown_active", "en"),
        (_cooldown, "cooldown_active", "fr"),
        (_daily_limit, "daily_limit_reached", "en"),
        (_daily_limit, "daily_limit_reached", "de"),
        (_wrong_pin, "pin_invalid", "en"),
        (_wrong_pin, "pin_invalid", "fr"),
        (_locked_pin, "pin_locked", "en"),
        (_locked_pin, "pin_locked", "lb"),
        (_too_few_stamps, "insufficient_stamps", "en"),
        (_another_stores_card, "not_found", "en"),
    ],
)
def test_a_refusal_reads_the_same_at_the_till_and_in_the_api(
    loyalty: Loyalty, till: Client, situation: Callable, code: str, language: str
) -> None:
    both, words = situation(loyalty, till)
    till.cookies["django_language"] = language
    api, page = both(language)

    body = api.json()
    assert body["code"] == code
    assert body["detail"] in page, body["detail"]
    if language == "en":
        # The figures the cashier needs are in the words, not only in the API's extra fields.
        assert words in body["detail"]


# --- Rewards: ready on every screen at once, and only then


@pytest.mark.parametrize(("stamps", "ready"), [(9, False), (10, True)])
def test_the_till_the_card_page_and_the_api_agree_a_stamp_reward_is_ready(
    loyalty: Loyalty, till: Client, stamps: int, ready: bool
) -> None:
    card = new_card(loyalty)
    _give(loyalty, card, stamps=stamps)

    at_the_till = till.get(f"/staff/card/{card.card_number}/").content.decode()
    card_page = client_for(loyalty.merchant).get(f"/c/{card.public_token}/").content.decode()
    redeemed = _in_the_api(
        loyalty, "stamps/redeem", card, staff_pin_id=loyalty.stamps_pin_id, pin=STAMPS_PIN
    )

    assert ('id="choose-redeem-stamps"' in at_the_till) is ready
    assert ("Reward ready: A free coffee" in at_the_till) is ready
    assert ("1 reward ready to redeem!" in card_page) is ready
    assert redeemed.status_code == (201 if ready else 409)
    if not ready:
        assert redeemed.json()["code"] == "insufficient_stamps"


@pytest.mark.parametrize(("points", "ready"), [(49, False), (50, True)])
def test_the_till_the_card_page_and_the_api_agree_a_points_reward_is_affordable(
    loyalty: Loyalty, till: Client, points: int, ready: bool
) -> None:
    till.post("/staff/store/", {"store": "bakery"})
    card = new_card(loyalty, "bakery")
    _give(loyalty, card, points=points)

    at_the_till = till.get(f"/staff/card/{card.card_number}/").content.decode()
    card_page = client_for(loyalty.merchant).get(f"/c/{card.public_token}/").content.decode()
    redeemed = _in_the_api(
        loyalty,
        "points/redeem",
        card,
        staff_pin_id=loyalty.points_pin_id,
        pin=POINTS_PIN,
        reward_id="cake",
    )

    assert ('id="choose-redeem-points"' in at_the_till) is ready
    assert ("Rewards available: A cake" in at_the_till) is ready
    assert ("You have enough points for a reward!" in card_page) is ready
    assert ('class="is-ready"' in card_page) is ready
    assert redeemed.status_code == (201 if ready else 409)
    if not ready:
        assert redeemed.json()["code"] == "insufficient_points"


# --- The stamp grid


def _boxes(page: str, grid_class: str) -> list[str]:
    grid = re.search(rf'<ol class="{grid_class}"[^>]*>(.*?)</ol>', page, re.S)
    assert grid is not None, grid_class
    return re.findall(r'<li class="(filled|empty)"></li>', grid.group(1))


def test_the_till_and_the_card_page_draw_the_same_stamp_grid(
    loyalty: Loyalty, till: Client
) -> None:
    _change_programme(loyalty, stamps_target=8)
    card = new_card(loyalty)
    _give(loyalty, card, stamps=11)  # a full card of 8, and 3 toward the next one

    at_the_till = till.get(f"/staff/card/{card.card_number}/").content.decode()
    card_page = client_for(loyalty.merchant).get(f"/c/{card.public_token}/").content.decode()

    assert _boxes(at_the_till, "stamp-grid") == _boxes(card_page, "stamps") == ["filled"] * 8
    assert "--columns: 4" in card_page  # 8 stamps as two rows of 4
    assert "8 of 8 stamps" in card_page and "1 reward ready to redeem!" in card_page
    assert "3 more stamps already count toward your next reward." in card_page


# --- The PIN's format


def test_a_malformed_pin_is_refused_with_the_same_words_everywhere(
    loyalty: Loyalty, till: Client
) -> None:
    card = new_card(loyalty)
    message = "A PIN is 4 to 6 digits."

    screen = till.get(f"/staff/card/{card.card_number}/").content.decode()
    at_the_till = till.post(
        f"/staff/card/{card.card_number}/stamp/",
        {
            "op": str(uuid.uuid4()),
            "quantity": 1,
            "staff_pin_id": loyalty.stamps_pin_id,
            "pin": "12a4",
        },
    )
    operation = _in_the_api(loyalty, "stamp", card, staff_pin_id=loyalty.stamps_pin_id, pin="12a4")
    new_pin = loyalty.api().post(
        f"{API}/pins",
        {"store_code": "main", "name": "Carol", "pin": "12a4"},
        content_type="application/json",
    )

    # The browser already refuses what the server would: the same digits, the same length.
    pin_input = re.search(r'<input type="password" name="pin"[^>]*>', screen).group(0)
    assert 'pattern="[0-9]{4,6}"' in pin_input and 'maxlength="6"' in pin_input
    assert at_the_till.status_code == 400 and message in at_the_till.content.decode()
    assert operation.status_code == 400 and operation.json()["errors"]["pin"] == [message]
    assert new_pin.status_code == 400 and new_pin.json()["errors"]["pin"] == [message]
