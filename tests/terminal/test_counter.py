"""The counter in one screen, without JavaScript: after an operation the terminal is back on the
lookup screen with a confirmation; the store and the staff member are remembered on the device;
a wrong PIN says how many tries are left; customers are found by name, e-mail or phone; amounts
take a comma or a point; only affordable rewards are offered; plurals read right."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_tenants.utils import schema_context

from cards.models import Customer
from cards.services import adjust, enroll_customer
from common.request_meta import RequestMeta
from programs.models import LoyaltyProgram
from staff.services import create_cashier, create_staff_pin
from tests.cards.helpers import new_card, reload
from tests.conftest import PASSWORD, POINTS_PIN, STAMPS_PIN, Loyalty, client_for

pytestmark = pytest.mark.django_db

CASHIER = {"username": "cashier", "password": "counter passphrase 7"}


@pytest.fixture
def cashier(loyalty: Loyalty) -> Client:
    """A cashier of every store, with the device set to the stamps store."""
    with schema_context(loyalty.merchant.schema_name):
        User.objects.create_user(**CASHIER)
    client = client_for(loyalty.merchant)
    assert client.post("/staff/login/", CASHIER).status_code == 302
    assert client.post("/staff/store/", {"store": "main"}).status_code == 302
    return client


def _op(page: str) -> str:
    match = re.search(r'name="op" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def _confirm(client: Client, card, action: str, **fields):  # type: ignore[no-untyped-def]
    """Open the card with ``action`` chosen and confirm it, as the one form on the screen does."""
    page = client.get(f"/staff/card/{card.card_number}/", {"action": action}).content.decode()
    data = {"action": action, "op": _op(page), **fields}
    return client.post(f"/staff/card/{card.card_number}/", data)


def _stamp(client: Client, loyalty: Loyalty, card, pin: str = STAMPS_PIN, **extra):  # type: ignore[no-untyped-def]
    fields = {"quantity": 1, "staff_pin_id": loyalty.stamps_pin_id, "pin": pin, **extra}
    return _confirm(client, card, "stamp", **fields)


# --- One screen, then back to the next customer


def test_after_a_stamp_the_terminal_is_back_on_the_lookup_screen_with_a_confirmation(
    loyalty: Loyalty, cashier: Client
) -> None:
    card = new_card(loyalty)
    page = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    # One form, one keypad, one confirm button; the PIN field works without the keypad.
    assert page.count('<form method="post" action="/staff/card/') == 1
    assert page.count("data-keypad") == 1 and 'id="stamp-submit"' in page
    assert 'name="pin"' in page and "readonly" not in page

    done = _stamp(cashier, loyalty, card)
    assert done.status_code == 302 and done["Location"] == "/staff/"
    home = cashier.get("/staff/").content.decode()
    assert 'id="confirmation"' in home and "Jane" in home
    assert "1 stamp added: 1 of 10." in home and "New balance: <strong>1 of 10 stamps" in home
    assert 'id="card-number"' in home  # the lookup, for the next customer
    # Shown once: the next customer's screen is clean.
    assert 'id="confirmation"' not in cashier.get("/staff/").content.decode()


def test_a_stamp_that_completes_the_card_says_the_reward_is_now_available(
    loyalty: Loyalty, cashier: Client
) -> None:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        adjust(card=card, stamps_delta=9, notes="paper card", meta=RequestMeta.system())
    _stamp(cashier, loyalty, card)
    home = cashier.get("/staff/").content.decode()
    assert "Reward now available: A free coffee" in home
    assert f'href="/staff/card/{card.card_number}/"' in home


def test_a_refusal_keeps_the_card_and_the_chosen_action_on_screen(
    loyalty: Loyalty, cashier: Client
) -> None:
    cashier.post("/staff/store/", {"store": "bakery"})
    card = new_card(loyalty, "bakery")
    refused = _confirm(
        cashier, card, "points", amount="12,50", staff_pin_id=loyalty.points_pin_id, pin="9999"
    )
    assert refused.status_code == 302
    page = cashier.get(refused["Location"]).content.decode()
    assert 'id="points-form"' in page and 'value="12,50"' in page
    assert "Wrong PIN." in page


# --- The device remembers the store and the staff member


def test_an_account_with_one_store_goes_straight_to_the_terminal(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        create_cashier(name="Tom", stores=[loyalty.stamps_store], **CASHIER)
    client = client_for(loyalty.merchant)
    assert client.post("/staff/login/", CASHIER)["Location"] == "/staff/"
    home = client.get("/staff/")
    assert home.status_code == 200 and "Main Street" in home.content.decode()
    assert client.cookies["staff_store"]["max-age"] == 365 * 24 * 3600


def test_an_account_with_several_stores_is_asked_which_one(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        User.objects.create_user(**CASHIER)
    client = client_for(loyalty.merchant)
    client.post("/staff/login/", CASHIER)
    assert client.get("/staff/")["Location"] == "/staff/store/"


def test_the_staff_member_is_remembered_on_the_device_and_the_pin_still_asked(
    loyalty: Loyalty, cashier: Client
) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.update(cooldown_minutes=0)
        dora = create_staff_pin(store=loyalty.stamps_store, name="Dora", pin="4826")
    card = new_card(loyalty)
    first = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    # Two staff members and none chosen yet on this device: both offered, neither ticked.
    assert "Alice" in first and "Dora" in first and "checked" not in first

    _stamp(cashier, loyalty, card, staff_pin_id=dora.pk, pin="4826")
    again = cashier.get(f"/staff/card/{card.card_number}/").content.decode()
    assert re.search(r'id="staff-name">Dora<', again)
    assert re.search(rf'value="{dora.pk}"[^>]*checked', again)
    assert 'name="pin"' in again  # still asked every time
    # Another device knows nobody.
    other = client_for(loyalty.merchant)
    other.post("/staff/login/", CASHIER)
    other.post("/staff/store/", {"store": "main"})
    assert 'id="staff-name"' not in other.get(f"/staff/card/{card.card_number}/").content.decode()


# --- A wrong PIN counts down


@pytest.mark.parametrize(
    ("language", "second", "fourth"),
    [
        (
            "en",
            "Wrong PIN. 3 tries left before this PIN is locked.",
            "Wrong PIN. 1 try left before this PIN is locked.",
        ),
        (
            "fr",
            "PIN incorrect. Encore 3 essais avant le blocage de ce PIN.",
            "PIN incorrect. Encore 1 essai avant le blocage de ce PIN.",
        ),
    ],
)
def test_a_wrong_pin_says_how_many_tries_are_left(
    loyalty: Loyalty, cashier: Client, language: str, second: str, fourth: str
) -> None:
    cashier.cookies["django_language"] = language
    card = new_card(loyalty)
    pages = []
    for _attempt in range(4):
        refused = _stamp(cashier, loyalty, card, pin="9999")
        pages.append(cashier.get(refused["Location"]).content.decode())
    assert second in pages[1] and fourth in pages[3]
    locked = cashier.get(_stamp(cashier, loyalty, card, pin="9999")["Location"]).content.decode()
    assert "Wrong PIN" not in locked and "PIN incorrect" not in locked
    assert reload(loyalty, card).stamp_count == 0


# --- Finding a customer without their phone


def _customer(loyalty: Loyalty, name: str, email: str, phone: str = "", store: str = "main"):  # type: ignore[no-untyped-def]
    with schema_context(loyalty.merchant.schema_name):
        card = enroll_customer(store_code=store, name=name, email=email).card
        if phone:
            Customer.objects.filter(pk=card.customer_id).update(phone=phone)
    return card


@pytest.mark.parametrize("query", ["Lucie", "lucie.b@example", "621 55 66 77", "+352621556677"])
def test_a_customer_is_found_by_name_e_mail_or_phone_and_opened(
    loyalty: Loyalty, cashier: Client, query: str
) -> None:
    lucie = _customer(loyalty, "Lucie Bernard", "lucie.b@example.com", "+352 621 556 677")
    _customer(loyalty, "Marc Weber", "marc@example.com", "+352 691 000 111")
    page = cashier.get("/staff/", {"number": query}).content.decode()
    results = re.search(r'<ul class="search-results".*?</ul>', page, re.S)
    assert results is not None, page
    assert "Lucie Bernard" in results.group(0) and "Marc Weber" not in results.group(0)
    link = f'href="/staff/card/{lucie.card_number}/"'
    assert link in results.group(0)
    opened = cashier.get(f"/staff/card/{lucie.card_number}/").content.decode()
    assert "Lucie Bernard" in opened and 'id="stamp-form"' in opened


def test_search_stays_in_the_store_and_shows_at_most_five(
    loyalty: Loyalty, cashier: Client
) -> None:
    for n in range(7):
        _customer(loyalty, f"Anna {n}", f"anna{n}@example.com")
    _customer(loyalty, "Anna Bakery", "anna.bakery@example.com", store="bakery")
    page = cashier.get("/staff/", {"number": "anna"}).content.decode()
    results = re.search(r'<ul class="search-results".*?</ul>', page, re.S)
    assert results is not None and results.group(0).count("<li>") == 5
    assert "Anna Bakery" not in page and "More cards match" in page
    nobody = cashier.get("/staff/", {"number": "Anna Bakery"})
    assert nobody.status_code == 404
    assert "No card at this store matches “Anna Bakery”." in nobody.content.decode()


# --- Amounts, rewards, plurals


@pytest.mark.parametrize("language", ["en", "fr", "de", "lb"])
def test_an_amount_takes_a_comma_or_a_point_in_every_language(
    loyalty: Loyalty, cashier: Client, language: str
) -> None:
    cashier.cookies["django_language"] = language
    cashier.post("/staff/store/", {"store": "bakery"})
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.update(cooldown_minutes=0)
    balances = []
    for n, amount in enumerate(("12,50", "12.50")):
        card = new_card(loyalty, "bakery", email=f"buyer{n}@example.com")
        fields = {"amount": amount, "staff_pin_id": loyalty.points_pin_id, "pin": POINTS_PIN}
        assert _confirm(cashier, card, "points", **fields)["Location"] == "/staff/"
        balances.append(reload(loyalty, card).points_balance)
    # 12.50 € at 1.5 points a euro (18.75, whole points only), whichever the decimal mark: never
    # 1,250 € (1,875 points).
    assert balances[0] == balances[1] == 18


def test_a_reward_the_card_cannot_afford_is_not_offered_nor_taken(
    loyalty: Loyalty, cashier: Client
) -> None:
    cashier.post("/staff/store/", {"store": "bakery"})
    card = new_card(loyalty, "bakery")
    with schema_context(loyalty.merchant.schema_name):
        adjust(card=card, points_delta=60, notes="welcome", meta=RequestMeta.system())
    page = cashier.get(
        f"/staff/card/{card.card_number}/", {"action": "redeem-points"}
    ).content.decode()
    assert "A cake" in page and 'value="tart"' not in page
    forged = cashier.post(
        f"/staff/card/{card.card_number}/",
        {
            "action": "redeem-points",
            "reward_id": "tart",
            "staff_pin_id": loyalty.points_pin_id,
            "pin": POINTS_PIN,
            "op": str(uuid.uuid4()),
        },
    )
    assert forged.status_code == 400
    assert reload(loyalty, card).points_balance == 60


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [("en", "+1 stamp", "+2 stamps"), ("fr", "+1 tampon", "+2 tampons")],
)
def test_the_shift_says_one_stamp_and_two_stamps(
    loyalty: Loyalty, cashier: Client, language: str, one: str, two: str
) -> None:
    cashier.cookies["django_language"] = language
    _stamp(cashier, loyalty, new_card(loyalty, email="one@example.com"))
    _stamp(cashier, loyalty, new_card(loyalty, email="two@example.com"), quantity=2)
    shift = re.search(
        r'<ol id="shift-operations">.*?</ol>', cashier.get("/staff/").content.decode(), re.S
    )
    assert shift is not None
    deltas = re.findall(r'<span class="delta">([^<]*)</span>', shift.group(0))
    assert deltas == [two, one]


# --- Signing in from the merchant's home page


def test_the_home_page_signs_a_cashier_in_to_the_terminal(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        create_cashier(name="Tom", stores=[loyalty.stamps_store], **CASHIER)
    client = client_for(loyalty.merchant)
    home = client.get("/").content.decode()
    assert 'id="home-sign-in"' in home and 'action="/staff/login/"' in home
    signed_in = client.post("/staff/login/", {**CASHIER, "landing": "home"}, follow=True)
    assert signed_in.redirect_chain[-1][0] == "/staff/"
    assert 'id="card-number"' in signed_in.content.decode()


def test_the_home_page_signs_an_owner_in_to_the_back_office(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    owner = {"username": loyalty.merchant.contact_email, "password": PASSWORD, "landing": "home"}
    response = client.post("/staff/login/", owner)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_on_the_home_page_keeps_the_way_on(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    wrong = client.post(
        "/staff/login/", {"username": "nobody", "password": "nope", "landing": "home"}
    )
    assert wrong.status_code == 200
    assert 'name="landing" value="home"' in wrong.content.decode()


def test_the_owner_still_reaches_the_terminal_from_its_own_sign_in(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    owner = {"username": loyalty.merchant.contact_email, "password": PASSWORD}
    assert client.post("/staff/login/", {**owner, "next": "/staff/"})["Location"] == "/staff/"
