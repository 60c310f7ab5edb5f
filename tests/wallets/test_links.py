"""A card's pass links: none while a wallet is off, absolute links to the pass endpoints on the
merchant's host once it is configured, always the same for the same card."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django_tenants.utils import schema_context

from cards import links
from cards.models import LoyaltyCard
from common.urls import absolute_url
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty, client_for
from tests.wallets.helpers import switch_wallets_on
from wallets.links import WalletPassLinks
from wallets.models import WalletPass

pytestmark = pytest.mark.django_db

JANE = {"name": "Jane Doe", "email": "jane@example.com", "marketing_consent": False}


def _enroll(loyalty: Loyalty) -> dict[str, Any]:
    response = client_for(loyalty.merchant).post(
        "/api/v1/loyalty/enroll/main", JANE, content_type="application/json"
    )
    assert response.status_code == 201
    return response.json()


def _serial(loyalty: Loyalty, card_number: str) -> str:
    with schema_context(loyalty.merchant.schema_name):
        return WalletPass.objects.get(card__card_number=card_number).apple_serial_number


def _card_page(loyalty: Loyalty, card_number: str) -> str:
    with schema_context(loyalty.merchant.schema_name):
        token = LoyaltyCard.objects.get(card_number=card_number).public_token
    page = client_for(loyalty.merchant).get(f"/c/{token}/")
    assert page.status_code == 200
    return page.content.decode()


# Not configured


def test_no_pass_links_while_no_wallet_is_configured(loyalty: Loyalty) -> None:
    card = _enroll(loyalty)
    assert card["apple_pass_url"] is None and card["google_save_url"] is None
    detail = loyalty.api().get(f"/api/v1/vendor/loyalty/cards/{card['card_number']}").json()
    assert detail["apple_pass_url"] is None and detail["google_save_url"] is None
    operation = stamp(loyalty, card["card_number"]).json()
    assert operation["card"]["apple_pass_url"] is None
    assert operation["card"]["google_save_url"] is None
    with schema_context(loyalty.merchant.schema_name):
        assert not WalletPass.objects.exists(), "no pass identifiers are made for nothing"


def test_the_card_page_has_no_wallet_section_while_no_wallet_is_configured(
    loyalty: Loyalty,
) -> None:
    card = _enroll(loyalty)
    html = _card_page(loyalty, card["card_number"])
    assert "data-wallet=" not in html
    assert "Add to your phone" not in html and "Add to Apple Wallet" not in html
    assert "/passes/" not in html
    assert "Coming soon" not in html and "disabled" not in html


def test_the_openapi_schema_says_pass_links_may_be_null(loyalty: Loyalty) -> None:
    schema = client_for(loyalty.merchant).get("/api/schema/", {"format": "json"}).json()
    card = schema["components"]["schemas"]["CardOutput"]["properties"]
    for name in ("apple_pass_url", "google_save_url"):
        assert card[name]["format"] == "uri" and card[name]["nullable"] is True


# Configured


def test_configured_wallets_link_to_the_pass_endpoints_on_the_merchants_host(
    loyalty: Loyalty, settings: Any
) -> None:
    switch_wallets_on(settings)
    card = _enroll(loyalty)
    serial = _serial(loyalty, card["card_number"])
    host = loyalty.merchant.primary_host

    apple, google = card["apple_pass_url"], card["google_save_url"]
    assert apple == absolute_url(host, f"/api/v1/loyalty/passes/apple/{serial}.pkpass")
    assert google == absolute_url(host, f"/api/v1/loyalty/passes/google/{serial}")
    for url, name in ((apple, "api-pass-apple"), (google, "api-pass-google")):
        match = resolve(urlsplit(url).path, urlconf=settings.ROOT_URLCONF)
        assert (match.url_name, match.kwargs) == (name, {"serial": serial})
    with schema_context(loyalty.merchant.schema_name):
        wallet_pass = WalletPass.objects.get(apple_serial_number=serial)
    assert len(serial) >= 32 and len(wallet_pass.apple_auth_token) >= 16


def test_a_cards_pass_links_stay_the_same_across_calls(loyalty: Loyalty, settings: Any) -> None:
    switch_wallets_on(settings)
    card = _enroll(loyalty)
    detail = loyalty.api().get(f"/api/v1/vendor/loyalty/cards/{card['card_number']}").json()
    listed = loyalty.api().get("/api/v1/vendor/loyalty/cards").json()["results"][0]
    operation = stamp(loyalty, card["card_number"]).json()["card"]
    for response in (detail, listed, operation):
        assert response["apple_pass_url"] == card["apple_pass_url"]
        assert response["google_save_url"] == card["google_save_url"]
    with schema_context(loyalty.merchant.schema_name):
        assert WalletPass.objects.count() == 1


def test_each_wallet_is_linked_only_when_it_is_configured(loyalty: Loyalty, settings: Any) -> None:
    switch_wallets_on(settings, apple=True, google=False)
    card = _enroll(loyalty)
    assert card["apple_pass_url"] and card["google_save_url"] is None

    settings.APPLE_WWDR_CERT_FILE = ""  # one required setting missing: Apple is off again
    switch_wallets_on(settings, apple=False, google=True)
    detail = loyalty.api().get(f"/api/v1/vendor/loyalty/cards/{card['card_number']}").json()
    assert detail["apple_pass_url"] is None and detail["google_save_url"]


def _wallet_buttons(html: str) -> dict[str, str]:
    """data-wallet -> the opening tag of its button."""
    return {
        match.group(1): match.group(0)
        for match in re.finditer(r'<(?:a|button)\b[^>]*data-wallet="(\w+)"[^>]*>', html)
    }


def test_the_card_page_links_its_wallet_buttons(loyalty: Loyalty, settings: Any) -> None:
    switch_wallets_on(settings)
    card = _enroll(loyalty)
    html = _card_page(loyalty, card["card_number"])
    buttons = _wallet_buttons(html)
    assert set(buttons) == {"apple", "google"}
    assert buttons["apple"].startswith("<a ")
    assert f'href="{card["apple_pass_url"]}"' in buttons["apple"]
    assert 'type="application/vnd.apple.pkpass"' in buttons["apple"]
    assert f'href="{card["google_save_url"]}"' in buttons["google"]
    section = html.split('class="wallet-buttons"')[1].split("</section>")[0]
    assert "<button" not in section and "Coming soon" not in section
    # Our own drawings, not Apple's or Google's badge artwork: inline glyphs beside the words.
    for name, words in (("apple", "Add to Apple Wallet"), ("google", "Add to Google Wallet")):
        button = section.split(f'data-wallet="{name}"')[1].split("</a>")[0]
        assert '<svg class="wallet-glyph"' in button and words in button
        assert "<img" not in button


def test_the_card_page_shows_only_the_configured_wallets_button(
    loyalty: Loyalty, settings: Any
) -> None:
    switch_wallets_on(settings, apple=True, google=False)
    card = _enroll(loyalty)
    html = _card_page(loyalty, card["card_number"])
    assert set(_wallet_buttons(html)) == {"apple"}
    assert "Add to Google Wallet" not in html

    for name in ("APPLE_PASS_TYPE_ID", "APPLE_TEAM_ID"):
        setattr(settings, name, "")
    switch_wallets_on(settings, apple=False, google=True)
    html = _card_page(loyalty, card["card_number"])
    assert set(_wallet_buttons(html)) == {"google"}
    assert "Add to Apple Wallet" not in html


@pytest.mark.parametrize(
    ("language", "apple", "google"),
    [
        ("fr", "Ajouter à Apple Wallet", "Ajouter à Google Wallet"),
        ("de", "Zu Apple Wallet hinzufügen", "Zu Google Wallet hinzufügen"),
    ],
)
def test_the_wallet_buttons_are_translated(
    loyalty: Loyalty, settings: Any, language: str, apple: str, google: str
) -> None:
    switch_wallets_on(settings)
    card = _enroll(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        customer = LoyaltyCard.objects.get(card_number=card["card_number"]).customer
        customer.locale = language
        customer.save(update_fields=["locale"])
    html = _card_page(loyalty, card["card_number"])
    assert apple in html and google in html, "the customer's language"
    assert "Add to Google Wallet" not in html


def test_pass_links_follow_the_host_the_merchant_was_reached_by(
    loyalty: Loyalty, settings: Any
) -> None:
    switch_wallets_on(settings)
    card = new_card(loyalty)
    custom = "shop.example.com"
    with schema_context("public"):
        loyalty.merchant.domains.create(domain=custom, is_primary=False)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, custom]
    response = loyalty.api().get(
        f"/api/v1/vendor/loyalty/cards/{card.card_number}", headers={"host": custom}
    )
    assert response.status_code == 200, response.content
    assert response.json()["apple_pass_url"].startswith(absolute_url(custom, "/api/"))


def test_the_card_list_costs_the_same_queries_whatever_the_page_size(
    loyalty: Loyalty, settings: Any
) -> None:
    switch_wallets_on(settings)
    for number in range(12):
        new_card(loyalty, email=f"customer{number}@example.com")
    api = loyalty.api()
    api.get("/api/v1/vendor/loyalty/cards?limit=12")  # makes the passes, writes last_used_at

    counts = []
    for limit in (1, 12):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/v1/vendor/loyalty/cards?limit={limit}")
        assert all(card["apple_pass_url"] for card in response.json()["results"])
        counts.append(len(queries))
    assert counts[0] == counts[1]


# The seam: cards asks, wallets answers


def test_wallets_registers_the_link_provider_when_django_starts(
    loyalty: Loyalty, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    switch_wallets_on(settings)
    monkeypatch.setattr(links, "_provider", None)
    assert _enroll(loyalty)["apple_pass_url"] is None, "cards alone knows no wallet"

    apps.get_app_config("wallets").ready()

    assert isinstance(links.wallet_link_provider(), WalletPassLinks)
    detail = loyalty.api().get("/api/v1/vendor/loyalty/cards").json()["results"][0]
    assert detail["apple_pass_url"]
