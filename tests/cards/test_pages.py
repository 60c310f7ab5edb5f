"""The join page a store's QR code opens, and the customer's card page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from programs.models import Store
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Jane Doe",
    "email": "jane@example.com",
    "phone": "",
    "locale": "en",
    "marketing_consent": "on",
}


def _join(loyalty: Loyalty, code: str = "main", data: dict | None = None):
    return client_for(loyalty.merchant).post(f"/join/{code}/", data or FORM)


def test_the_join_page_shows_the_programme_and_a_form(loyalty: Loyalty) -> None:
    page = client_for(loyalty.merchant).get("/join/main/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Join Coffee Card" in html
    assert "Collect 10 stamps and get a free coffee." in html
    for field in ("name", "email", "phone", "locale", "marketing_consent"):
        assert f'name="{field}"' in html


def test_joining_ends_on_the_card_page_with_an_empty_stamp_grid(loyalty: Loyalty) -> None:
    response = _join(loyalty)

    assert response.status_code == 302
    token = re.fullmatch(r"/c/([\w-]+)/", response["Location"]).group(1)
    page = client_for(loyalty.merchant).get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Coffee Card" in html and "Hello Jane Doe" in html
    assert "0 of 10 stamps" in html
    assert html.count('class="empty"') == 10
    assert "<svg" in html
    with schema_context(loyalty.merchant.schema_name):
        card = LoyaltyCard.objects.get(public_token=token)
        assert card.customer.marketing_consent is True
    assert card.formatted_number in html
    # No wallet is configured in the tests: no wallet buttons, not even disabled ones.
    assert "data-wallet=" not in html
    assert page["Cache-Control"] == "private, no-store"


def test_the_stamp_grid_and_rewards_follow_the_card(loyalty: Loyalty) -> None:
    location = _join(loyalty)["Location"]
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyCard.objects.update(stamp_count=13)
    html = client_for(loyalty.merchant).get(location).content.decode()
    assert html.count('class="filled"') == 10
    assert "1 reward ready to redeem!" in html


def test_a_points_card_shows_balance_and_next_reward(loyalty: Loyalty) -> None:
    location = _join(loyalty, "bakery")["Location"]
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyCard.objects.update(points_balance=65)
    html = client_for(loyalty.merchant).get(location).content.decode()
    assert "<strong>65</strong> points" in html
    assert "55 more points to “A tart”." in html


def test_joining_again_shows_a_neutral_page_and_mails_the_same_card(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    location = _join(loyalty)["Location"]
    with schema_context(loyalty.merchant.schema_name):
        card = LoyaltyCard.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        again = _join(loyalty, data={**FORM, "name": "Mallory", "email": "JANE@example.com"})

    assert again.status_code == 200
    html = again.content.decode()
    assert "If this address has a card, we sent its link there." in html
    for secret in (card.public_token, card.card_number, card.formatted_number, "Jane"):
        assert secret not in html
    [message] = mail.outbox
    assert message.to == ["jane@example.com"]
    assert location in message.body


def test_a_known_email_joining_another_programme_sees_nothing_of_its_owner(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    _join(loyalty)  # Jane's stamp card
    with django_capture_on_commit_callbacks(execute=True):
        other = _join(loyalty, "bakery", data={**FORM, "name": "Mallory"})

    # A points card is made for Jane, but only her address gets its link.
    assert other.status_code == 200
    html = other.content.decode()
    assert "If this address has a card, we sent its link there." in html
    with schema_context(loyalty.merchant.schema_name):
        bakery_card = LoyaltyCard.objects.get(program__loyalty_type="points")
    for secret in (bakery_card.public_token, bakery_card.card_number, "Jane"):
        assert secret not in html
    [message] = mail.outbox
    assert message.to == ["jane@example.com"]
    assert bakery_card.public_token in message.body


def test_join_form_errors_are_shown(loyalty: Loyalty) -> None:
    response = _join(loyalty, data={**FORM, "email": "nope"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_an_unknown_store_has_no_join_page(loyalty: Loyalty) -> None:
    assert client_for(loyalty.merchant).get("/join/nowhere/").status_code == 404


def test_an_inactive_store_says_so(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        Store.objects.filter(code="main").update(is_active=False)
    response = _join(loyalty)
    assert response.status_code == 409
    assert "does not take new loyalty members" in response.content.decode()
    with schema_context(loyalty.merchant.schema_name):
        assert not LoyaltyCard.objects.exists()


def test_card_pages_need_the_exact_token(loyalty: Loyalty) -> None:
    location = _join(loyalty)["Location"]
    client = client_for(loyalty.merchant)
    assert client.get(location[:-5] + "xxxx/").status_code == 404
    qr = client.get(location + "qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"


def test_the_join_page_is_translated(loyalty: Loyalty) -> None:
    html = (
        client_for(loyalty.merchant)
        .get("/join/main/", headers={"accept-language": "fr"})
        .content.decode()
    )
    assert '<html lang="fr">' in html
    assert "Rejoindre Coffee Card" in html


@pytest.mark.parametrize(
    ("language", "offer"),
    [
        ("en", "Earn 1.5 points per euro and swap them for rewards."),
        ("fr", "Gagnez 1,5 point par euro et échangez-les contre des récompenses."),
        ("de", "Sammeln Sie 1,5 Punkte pro Euro und tauschen Sie sie gegen Prämien ein."),
        ("lb", "Sammelt 1,5 Punkten pro Euro an tauscht se géint Belounungen."),
    ],
)
def test_the_points_offer_shows_the_rate_as_people_write_it(
    loyalty: Loyalty, language: str, offer: str
) -> None:
    page = client_for(loyalty.merchant).get("/join/bakery/", headers={"accept-language": language})
    html = page.content.decode()
    assert offer in html
    assert "<strong>0</strong>" in html  # the card preview starts at zero points
