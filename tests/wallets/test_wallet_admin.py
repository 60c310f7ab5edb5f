"""The back office shows, per card, how many devices hold its Apple pass: a column in the card
list (one query for the whole page) and a field on the card's page; push tokens never."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from common.admin import backoffice_site
from merchants.models import Merchant
from programs.services import create_program
from tests.cards.factories import CustomerFactory
from tests.cards.test_admin import signed_in
from tests.programs.factories import StoreFactory
from tests.wallets.factories import WalletPassFactory
from wallets.admin import WalletCardAdmin
from wallets.models import AppleRegistration

pytestmark = pytest.mark.django_db

LIST = "/admin/cards/loyaltycard/"


def _cards(count: int, *, devices: int = 0, name: str = "Jane") -> list[LoyaltyCard]:
    store = StoreFactory()
    program = create_program(store=store, loyalty_type="stamps")
    cards = []
    for number in range(count):
        card = LoyaltyCard.objects.create(
            customer=CustomerFactory(
                name=f"{name} {number}",
                email=f"{name.lower()}{number}-{store.code}@example.com",
                enrolled_store=store,
            ),
            program=program,
            store=store,
        )
        wallet_pass = WalletPassFactory(card=card)
        for device in range(devices):
            AppleRegistration.objects.create(
                wallet_pass=wallet_pass,
                device_library_id=f"devlib{card.pk}x{device}",
                push_token=f"secret-push-token-{card.pk}-{device}",
            )
        cards.append(card)
    return cards


def _row(html: str, card: LoyaltyCard) -> str:
    rows = re.findall(r"<tr.*?</tr>", html, flags=re.S)
    [row] = [row for row in rows if card.formatted_number in row]
    return row


def test_the_card_list_and_page_show_how_many_devices_have_the_apple_pass(
    merchant: Merchant,
) -> None:
    with schema_context(merchant.schema_name):
        [two] = _cards(1, devices=2, name="Two")
        [one] = _cards(1, devices=1, name="One")
        [none] = _cards(1, name="None")
    client = signed_in(merchant)

    html = client.get(LIST).content.decode()
    assert "Apple Wallet" in html  # the column's heading
    assert "2 devices" in _row(html, two)
    assert "1 device<" in _row(html, one)
    assert "—" in _row(html, none) and "device" not in _row(html, none)

    page = client.get(f"{LIST}{two.pk}/change/").content.decode()
    assert "Apple Wallet" in page and "2 devices" in page
    assert "secret-push-token" not in html + page and "devlib" not in html + page

    ordered = client.get(LIST, {"o": "-8"}).content.decode()  # the column, descending
    assert ordered.index(two.formatted_number) < ordered.index(none.formatted_number)


def test_device_registrations_have_no_admin_of_their_own(merchant: Merchant) -> None:
    assert AppleRegistration not in backoffice_site._registry
    assert isinstance(backoffice_site._registry[LoyaltyCard], WalletCardAdmin)
    client = signed_in(merchant)
    assert client.get("/admin/wallets/appleregistration/").status_code == 404


def test_the_card_list_costs_the_same_queries_however_many_cards(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        _cards(1, devices=1, name="First")
    client = signed_in(merchant)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    before = queries()
    with schema_context(merchant.schema_name):
        _cards(6, devices=2, name="More")
    html = client.get(LIST).content.decode()
    assert html.count("2 devices") == 6
    assert queries() == before
