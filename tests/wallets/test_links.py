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


def test_the_card_page_shows_disabled_wallet_placeholders_without_links(loyalty: Loyalty) -> None:
    card = _enroll(loyalty)
    html = _card_page(loyalty, card["card_number"])
    for wallet in ("apple", "google"):
        button = re.search(rf'<button[^>]*data-wallet="{wallet}"[^>]*>', html)
        assert button and "disabled" in button.group(0)
    assert "/passes/" not in html
    assert "Coming soon" in html


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


def test_the_card_page_links_its_wallet_buttons(loyalty: Loyalty, settings: Any) -> None:
    switch_wallets_on(settings)
    card = _enroll(loyalty)
    html = _card_page(loyalty, card["card_number"])
    for wallet, url in (("apple", card["apple_pass_url"]), ("google", card["google_save_url"])):
        assert f'<a class="wallet-button" data-wallet="{wallet}" href="{url}">' in html
    assert "<button" not in html.split('class="wallet-buttons"')[1].split("</div>")[0]


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
