"""Google Wallet in the merchant's back office: per card, where its object stands (a refusal in
plain words, and a filter to find them); per programme, its class and how many of its cards Google
holds; and "Sync with Google Wallet", which really sends the programme and its cards to Google
(the stand-in), or says plainly that Google Wallet is off."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from tests.cards.factories import CustomerFactory
from tests.cards.test_admin import signed_in
from tests.conftest import Loyalty
from tests.wallets.factories import WalletPassFactory
from tests.wallets.google_standin import GoogleStandIn
from tests.wallets.helpers import eventually, settle
from wallets.models import AppleRegistration, GoogleClass, WalletPass

CARDS = "/admin/cards/loyaltycard/"
PROGRAMS = "/admin/programs/loyaltyprogram/"
REFUSAL = "Invalid barcode value: the card number is too long"


def _card(loyalty: Loyalty, name: str, *, devices: int = 0, **google: object) -> LoyaltyCard:
    """A card of the stamps programme with its pass as the sync left it (``google``: the
    WalletPass's google_* fields), created straight in the tables: nothing is announced."""
    with schema_context(loyalty.merchant.schema_name):
        card = LoyaltyCard.objects.create(
            customer=CustomerFactory(name=name, email=f"{name.lower()}@example.com"),
            program=loyalty.stamps_program,
            store=loyalty.stamps_store,
        )
        wallet_pass = WalletPassFactory(card=card, **google)
        for device in range(devices):
            AppleRegistration.objects.create(
                wallet_pass=wallet_pass,
                device_library_id=f"devlib{card.pk}x{device}",
                push_token=f"token-{card.pk}-{device}",
            )
        return card


def _synced(loyalty: Loyalty, name: str, **extra: object) -> LoyaltyCard:
    return _card(
        loyalty,
        name,
        google_object_id=f"issuer.{name.lower()}",
        google_object={"id": f"issuer.{name.lower()}", "classId": "issuer.class"},
        google_synced_at=timezone.now(),
        **extra,
    )


def _refused(loyalty: Loyalty, name: str) -> LoyaltyCard:
    return _card(
        loyalty,
        name,
        google_error=REFUSAL,
        google_error_at=timezone.now() - dt.timedelta(hours=1),
    )


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _row(html: str, card: LoyaltyCard) -> str:
    """The card's row in the list, as text."""
    rows = re.findall(r"<tr.*?</tr>", html, flags=re.S)
    [row] = [row for row in rows if card.formatted_number in row]
    return _text(row)


@pytest.mark.django_db
def test_the_card_list_shows_both_wallets_and_finds_the_cards_google_refused(
    loyalty: Loyalty, google_wallet: GoogleStandIn
) -> None:
    synced = _synced(loyalty, "Synced", devices=2)
    refused = _refused(loyalty, "Refused")
    pending = _card(loyalty, "Pending")
    client = signed_in(loyalty.merchant)

    html = client.get(CARDS).content.decode()
    assert "Wallets" in html
    assert "Apple: 2 devices" in _row(html, synced)
    assert "Google: synced" in _row(html, synced)
    assert "Google: refused" in _row(html, refused)
    assert "Apple: —" in _row(html, pending) and "Google: —" in _row(html, pending)

    found = client.get(CARDS, {"google_wallet": "refused"}).content.decode()
    assert refused.formatted_number in found
    assert synced.formatted_number not in found and pending.formatted_number not in found
    assert "Google Wallet" in found and "Refused" in found  # the filter, in the side bar
    found = client.get(CARDS, {"google_wallet": "none"}).content.decode()
    assert pending.formatted_number in found
    assert synced.formatted_number not in found and refused.formatted_number not in found


@pytest.mark.django_db
def test_a_card_page_says_in_plain_words_that_google_refused_it_and_why(
    loyalty: Loyalty, google_wallet: GoogleStandIn
) -> None:
    refused = _refused(loyalty, "Refused")
    synced = _synced(loyalty, "Synced")
    pending = _card(loyalty, "Pending")
    client = signed_in(loyalty.merchant)

    page = client.get(f"{CARDS}{refused.pk}/change/").content.decode()
    assert "Google Wallet refused this card (" in page
    assert "the customer cannot add it to Google Wallet" in page
    assert REFUSAL in page

    page = client.get(f"{CARDS}{synced.pk}/change/").content.decode()
    content = page.split('id="main"', 1)[1]  # the side bar links the refused cards
    assert "In Google Wallet, last updated:" in content and "refused" not in content.lower()
    page = client.get(f"{CARDS}{pending.pk}/change/").content.decode()
    assert "Not sent to Google Wallet yet." in page


@pytest.mark.django_db
def test_the_card_list_costs_the_same_queries_however_many_cards(
    loyalty: Loyalty, google_wallet: GoogleStandIn
) -> None:
    _synced(loyalty, "First", devices=1)
    client = signed_in(loyalty.merchant)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CARDS).status_code == 200
        return len(captured)

    before = queries()
    for number in range(3):
        _synced(loyalty, f"Synced{number}", devices=2)
        _refused(loyalty, f"Refused{number}")
        _card(loyalty, f"Pending{number}")
    html = client.get(CARDS).content.decode()
    assert _text(html).count("Google: refused") == 3 and html.count("2 devices") == 3
    assert queries() == before


@pytest.mark.django_db
def test_the_programme_page_shows_its_class_and_how_many_cards_google_holds(
    loyalty: Loyalty, google_wallet: GoogleStandIn
) -> None:
    program = loyalty.stamps_program
    with schema_context(loyalty.merchant.schema_name):
        GoogleClass.objects.create(
            program=program, class_id="issuer.class", synced_at=timezone.now()
        )
    _synced(loyalty, "One")
    _synced(loyalty, "Two")
    _refused(loyalty, "Three")
    _card(loyalty, "Four")
    client = signed_in(loyalty.merchant)

    page = client.get(f"{PROGRAMS}{program.pk}/change/").content.decode()
    assert "In Google Wallet, last updated:" in page
    assert re.search(r'<progress value="2" max="4"', page)
    assert "2 of 4 cards in Google Wallet, 1 refused" in page
    [refused_list] = re.findall(r'<a href="([^"]+)">See the cards Google refused</a>', page)
    listed = client.get(refused_list.replace("&amp;", "&")).content.decode()
    assert "three@example.com" in listed
    assert "one@example.com" not in listed and "four@example.com" not in listed

    with schema_context(loyalty.merchant.schema_name):
        GoogleClass.objects.filter(program=program).update(
            error="Logo image could not be fetched", error_at=timezone.now()
        )
    page = client.get(f"{PROGRAMS}{program.pk}/change/").content.decode()
    assert "Google Wallet refused this programme (" in page
    assert "none of its cards can be added to Google Wallet" in page
    assert "Logo image could not be fetched" in page


@pytest.mark.django_db
def test_the_sync_action_says_so_when_google_wallet_is_off(loyalty: Loyalty) -> None:
    client = signed_in(loyalty.merchant)
    response = client.post(
        PROGRAMS,
        {"action": "sync_google_wallet", "_selected_action": [loyalty.stamps_program.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Google Wallet is not set up on this platform: nothing was sent." in html
    assert not [t for t in threading.enumerate() if t.name.startswith("wallet-")]
    page = client.get(f"{PROGRAMS}{loyalty.stamps_program.pk}/change/").content.decode()
    assert "Google Wallet is not set up on this platform." in page


# --- The action, for real: committed rows, a background sync, the stand-in


@pytest.fixture
def shop(committed_loyalty: Loyalty, google_wallet: GoogleStandIn) -> Iterator[Loyalty]:
    settle()
    google_wallet.reset()
    yield committed_loyalty
    settle()  # syncs still running finish before the merchant's schema is dropped


def test_the_sync_action_sends_the_programme_and_every_card_to_google(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    cards = [_card(shop, name) for name in ("Ann", "Ben", "Cy")]
    client = signed_in(shop.merchant)

    response = client.post(
        PROGRAMS,
        {"action": "sync_google_wallet", "_selected_action": [shop.stamps_program.pk]},
        follow=True,
    )

    assert "Sync with Google Wallet started for 1 programme" in response.content.decode()
    assert eventually(lambda: len(google_wallet.requests(kind="loyaltyObject")) == 3)
    settle()
    [klass] = google_wallet.requests(kind="loyaltyClass")
    assert klass.status == 200
    with schema_context(shop.merchant.schema_name):
        held = {p.card_id: p.google_object_id for p in WalletPass.objects.all()}
    for card in cards:
        assert google_wallet.get("loyaltyObject", held[card.pk]) is not None
    page = client.get(f"{PROGRAMS}{shop.stamps_program.pk}/change/").content.decode()
    assert "3 of 3 cards in Google Wallet, 0 refused" in page
    assert '<progress value="3" max="3"' in page
