"""The staff terminal with a plain HTTP client: it works without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import Client
from django_tenants.utils import schema_context

from cards.models import LoyaltyTransaction
from cards.services import adjust
from common.request_meta import RequestMeta
from programs.models import LoyaltyProgram
from tests.cards.helpers import new_card, reload
from tests.conftest import PASSWORD, POINTS_PIN, STAMPS_PIN, Loyalty, client_for

pytestmark = pytest.mark.django_db

CASHIER = {"username": "cashier", "password": "counter passphrase 7"}


@pytest.fixture
def cashier(loyalty: Loyalty) -> Client:
    with schema_context(loyalty.merchant.schema_name):
        User.objects.create_user(**CASHIER)  # not staff: the terminal only, no back office
    client = client_for(loyalty.merchant)
    assert client.post("/staff/login/", CASHIER).status_code == 302
    assert client.post("/staff/store/", {"store": "main"}).status_code == 302
    return client


def _op(page: str) -> str:
    return re.search(r'name="op" value="([^"]+)"', page).group(1)


def _stamp(client: Client, card, pin: str = STAMPS_PIN, loyalty: Loyalty | None = None, **extra):
    page = client.get(f"/staff/card/{card.card_number}/").content.decode()
    data = {
        "quantity": 1,
        "staff_pin_id": loyalty.stamps_pin_id,
        "pin": pin,
        "op": _op(page),
        **extra,
    }
    return client.post(f"/staff/card/{card.card_number}/stamp/", data, follow=True)


def test_the_terminal_needs_a_signed_in_user(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_a_cashier_cannot_open_the_back_office(loyalty: Loyalty, cashier: Client) -> None:
    assert cashier.get("/admin/").status_code == 302


def test_the_store_is_remembered_on_the_device(loyalty: Loyalty, cashier: Client) -> None:
    page = cashier.get("/staff/")
    assert page.status_code == 200
    assert "Main Street" in page.content.decode()
    assert cashier.cookies["staff_store"]["max-age"] == 365 * 24 * 3600


def test_a_typed_card_number_opens_the_card(loyalty: Loyalty, cashier: Client) -> None:
    card = new_card(loyalty)
    spaced = f"{card.card_number[:4]} {card.card_number[4:8]} {card.card_number[8:]}"
    response = cashier.get("/staff/", {"number": spaced})
    assert response.status_code == 302
    assert response["Location"] == f"/staff/card/{card.card_number}/"
    page = cashier.get(response["Location"]).content.decode()
    assert "Jane" in page and "0 / 10 stamps" in page
    assert 'id="stamp-form"' in page and "Alice" in page


def test_a_mistyped_number_is_explained(loyalty: Loyalty, cashier: Client) -> None:
    card = new_card(loyalty)
    typo = card.card_number[:-1] + str((int(card.card_number[-1]) + 1) % 10)
    page = cashier.get("/staff/", {"number": typo})
    assert page.status_code == 400
    assert "check it for typing mistakes" in page.content.decode()


def test_a_card_of_another_store_is_not_found_here(loyalty: Loyalty, cashier: Client) -> None:
    card = new_card(loyalty, "bakery")
    page = cashier.get("/staff/", {"number": card.card_number})
    assert page.status_code == 404
    assert "No card with this number at this store." in page.content.decode()


def test_stamp_wrong_pin_and_cooldown(loyalty: Loyalty, cashier: Client) -> None:
    card = new_card(loyalty)

    done = _stamp(cashier, card, loyalty=loyalty).content.decode()
    assert "1 stamp added: 1 of 10." in done
    assert reload(loyalty, card).stamp_count == 1

    wrong = _stamp(cashier, card, pin="9999", loyalty=loyalty).content.decode()
    assert "Wrong PIN." in wrong

    too_soon = _stamp(cashier, card, loyalty=loyalty).content.decode()
    assert "Too soon: this card just got a stamp. Wait 15 more minutes." in too_soon
    with schema_context(loyalty.merchant.schema_name):
        row = LoyaltyTransaction.objects.get()
    assert (row.source, row.staff_pin_id) == ("staff_page", loyalty.stamps_pin_id)
    assert "Today at this store" in too_soon and "…" + card.card_number[-4:] in too_soon


def test_a_double_submitted_form_counts_once(loyalty: Loyalty, cashier: Client) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.update(cooldown_minutes=0)
    card = new_card(loyalty)
    page = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    data = {
        "quantity": 2,
        "staff_pin_id": loyalty.stamps_pin_id,
        "pin": STAMPS_PIN,
        "op": _op(page),
    }
    cashier.post(f"/staff/card/{card.card_number}/stamp/", data)
    again = cashier.post(f"/staff/card/{card.card_number}/stamp/", data, follow=True)
    assert "already recorded" in again.content.decode()
    assert reload(loyalty, card).stamp_count == 2


def test_a_locked_pin_says_until_when(loyalty: Loyalty, cashier: Client) -> None:
    card = new_card(loyalty)
    for _ in range(5):
        page = _stamp(cashier, card, pin="9999", loyalty=loyalty).content.decode()
    assert re.search(r"This PIN is locked until \d\d:\d\d after too many wrong attempts", page)


def test_points_and_rewards_at_the_bakery(loyalty: Loyalty, cashier: Client) -> None:
    cashier.post("/staff/store/", {"store": "bakery"})
    card = new_card(loyalty, "bakery")
    page = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    done = cashier.post(
        f"/staff/card/{card.card_number}/points/",
        {
            "amount": "40.00",
            "staff_pin_id": loyalty.points_pin_id,
            "pin": POINTS_PIN,
            "op": _op(page),
        },
        follow=True,
    ).content.decode()
    assert "60 points added: the balance is 60." in done
    page = cashier.get(f"/staff/card/{card.card_number}/?action=redeem-points").content.decode()
    redeemed = cashier.post(
        f"/staff/card/{card.card_number}/",
        {
            "action": "redeem-points",
            "reward_id": "cake",
            "staff_pin_id": loyalty.points_pin_id,
            "pin": POINTS_PIN,
            "op": _op(page),
        },
        follow=True,
    ).content.decode()
    assert "Reward given: A cake." in redeemed
    assert reload(loyalty, card).points_balance == 10


def test_form_errors_are_shown_next_to_the_fields(loyalty: Loyalty, cashier: Client) -> None:
    card = new_card(loyalty)
    page = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    response = cashier.post(
        f"/staff/card/{card.card_number}/stamp/", {"quantity": 0, "pin": "12", "op": _op(page)}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "A PIN is 4 to 6 digits." in html
    assert reload(loyalty, card).stamp_count == 0


def test_the_terminal_speaks_the_users_language(loyalty: Loyalty, cashier: Client) -> None:
    card = new_card(loyalty)
    page = cashier.get(
        f"/staff/card/{card.card_number}/", headers={"accept-language": "de"}
    ).content.decode()
    assert '<html lang="de">' in page
    assert "Stempel hinzufügen" in page and "Mitarbeiter" in page


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        (
            "fr",
            "Trop tôt\u00a0: cette carte vient de recevoir un tampon. Attendez encore 15 minutes.",
        ),
        (
            "de",
            "Zu früh: Diese Karte hat gerade einen Stempel bekommen. Warten Sie noch 15 Minuten.",
        ),
        ("lb", "Ze fréi: Dës Kaart huet grad e Stempel kritt. Waart nach 15 Minutten."),
    ],
)
def test_refusals_are_in_the_users_language(
    loyalty: Loyalty, cashier: Client, language: str, refusal: str
) -> None:
    cashier.cookies["django_language"] = language
    card = new_card(loyalty)
    _stamp(cashier, card, loyalty=loyalty)
    page = _stamp(cashier, card, loyalty=loyalty).content.decode()
    assert refusal in page


def test_owners_get_a_link_to_the_back_office_and_cashiers_do_not(
    loyalty: Loyalty, cashier: Client
) -> None:
    assert 'href="/admin/"' not in cashier.get("/staff/").content.decode()
    owner = client_for(loyalty.merchant)
    # django-axes needs the request a sign-in comes with.
    assert owner.login(
        request=HttpRequest(), username=loyalty.merchant.contact_email, password=PASSWORD
    )
    owner.post("/staff/store/", {"store": "main"})
    page = owner.get("/staff/").content.decode()
    assert 'href="/admin/"' in page and "Back office" in page


def test_rewards_are_offered_only_when_the_card_has_one(loyalty: Loyalty, cashier: Client) -> None:
    card = new_card(loyalty)
    page = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    assert 'id="stamp-form"' in page and 'id="choose-redeem-stamps"' not in page
    with schema_context(loyalty.merchant.schema_name):
        adjust(card=card, stamps_delta=10, notes="paper card", meta=RequestMeta.system())
    page = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    assert "Reward ready: A free coffee" in page
    # One form, one keypad: the reward is a choice next to the stamp, which stays the default.
    assert 'id="choose-redeem-stamps"' in page and "Give reward: A free coffee" in page
    assert 'id="stamp-form"' in page and page.count("data-keypad") == 1
    page = cashier.get(
        f"/staff/card/{card.card_number}/", {"action": "redeem-stamps"}
    ).content.decode()
    assert 'id="redeem-stamps-form"' in page and page.count("data-keypad") == 1
    redeemed = cashier.post(
        f"/staff/card/{card.card_number}/",
        {
            "action": "redeem-stamps",
            "staff_pin_id": loyalty.stamps_pin_id,
            "pin": STAMPS_PIN,
            "op": _op(page),
        },
        follow=True,
    ).content.decode()
    assert "Reward given: A free coffee." in redeemed
    assert reload(loyalty, card).stamp_count == 0
    again = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    assert 'id="choose-redeem-stamps"' not in again


def test_a_points_reward_is_offered_once_the_balance_reaches_it(
    loyalty: Loyalty, cashier: Client
) -> None:
    cashier.post("/staff/store/", {"store": "bakery"})
    card = new_card(loyalty, "bakery")
    page = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    assert 'id="points-form"' in page and 'id="choose-redeem-points"' not in page
    with schema_context(loyalty.merchant.schema_name):
        adjust(card=card, points_delta=50, notes="welcome gift", meta=RequestMeta.system())
    page = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    assert 'id="choose-redeem-points"' in page and "Rewards available: A cake" in page
    # The reward choice lists what the balance pays for (a cake for 50), not the tart (100).
    choice = cashier.get(
        f"/staff/card/{card.card_number}/", {"action": "redeem-points"}
    ).content.decode()
    assert 'value="cake"' in choice and 'value="tart"' not in choice


def test_the_card_screen_reads_the_pins_once(loyalty: Loyalty, cashier: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        adjust(card=card, stamps_delta=10, notes="paper card", meta=RequestMeta.system())
    with CaptureQueriesContext(connection) as queries:
        page = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    assert 'id="stamp-form"' in page and 'id="choose-redeem-stamps"' in page
    pin_reads = [q["sql"] for q in queries.captured_queries if 'FROM "staff_staffpin"' in q["sql"]]
    assert len(pin_reads) == 1, pin_reads
