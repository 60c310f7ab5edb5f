"""Erasing a customer (cards.services.erase_customer) reaches the wallets: the Apple devices'
registrations of their passes are deleted, and their Google Wallet objects become INACTIVE without
the holder's name. Real commits (the announcements fire after commit) and real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from tests.cards.helpers import new_card
from tests.conftest import Loyalty
from tests.wallets.google_standin import GoogleStandIn
from tests.wallets.helpers import eventually, settle
from wallets.models import AppleRegistration, WalletPass
from wallets.services import ensure_wallet_pass, register_apple_device

pytestmark = pytest.mark.usefixtures("committed_db")

CUSTOMERS = "/api/v1/vendor/loyalty/customers"


def _register(loyalty: Loyalty, card: LoyaltyCard, device: str) -> None:
    with schema_context(loyalty.merchant.schema_name):
        wallet_pass = ensure_wallet_pass(card=LoyaltyCard.objects.get(pk=card.pk))
        register_apple_device(
            wallet_pass=wallet_pass, device_library_id=device, push_token=f"token-{device}"
        )


def _devices(loyalty: Loyalty) -> list[str]:
    with schema_context(loyalty.merchant.schema_name):
        return sorted(AppleRegistration.objects.values_list("device_library_id", flat=True))


def test_erasure_drops_the_apple_registrations_of_her_passes_only_after_the_grace_period(
    committed_loyalty: Loyalty, settings: Any
) -> None:
    settings.WALLET_ERASURE_GRACE_SECONDS = 1
    shop = committed_loyalty
    hers = new_card(shop, email="zoe@example.com")
    someone_elses = new_card(shop, email="max@example.com")
    _register(shop, hers, "her-iphone")
    _register(shop, hers, "her-ipad")
    _register(shop, someone_elses, "his-iphone")
    export = shop.api().get(f"{CUSTOMERS}/{hers.customer_id}/export").json()
    assert export["cards"][0]["wallets"] == {"apple_devices": 2, "google_object_created": False}

    response = shop.api().post(f"{CUSTOMERS}/{hers.customer_id}/erase")

    assert response.status_code == 200
    # For the grace period her devices keep their registrations: they fetch the voided pass.
    assert _devices(shop) == ["her-ipad", "her-iphone", "his-iphone"]
    assert eventually(lambda: _devices(shop) == ["his-iphone"])
    with schema_context(shop.merchant.schema_name):
        assert WalletPass.objects.filter(card_id=hers.pk).exists()  # the pass shows voided
        assert LoyaltyCard.objects.get(pk=hers.pk).is_active is False
    # Erasing again finds nothing more to drop and says the same.
    assert shop.api().post(f"{CUSTOMERS}/{hers.customer_id}/erase").json() == response.json()
    assert _devices(shop) == ["his-iphone"]


@pytest.fixture
def google_shop(committed_loyalty: Loyalty, google_wallet: GoogleStandIn) -> Iterator[Loyalty]:
    settle()
    google_wallet.reset()
    yield committed_loyalty
    settle()  # syncs still running finish before the merchant's schema is dropped


def test_erasure_makes_her_google_object_inactive_and_nameless(
    google_shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    card = new_card(google_shop, email="zoe@example.com")
    assert eventually(lambda: len(google_wallet.requests(kind="loyaltyObject")) == 1)
    settle()
    [insert] = google_wallet.requests(kind="loyaltyObject")
    assert insert.body["accountName"] == "Jane" and insert.body["state"] == "ACTIVE"

    response = google_shop.api().post(f"{CUSTOMERS}/{card.customer_id}/erase")

    assert response.status_code == 200
    assert eventually(lambda: len(google_wallet.requests(kind="loyaltyObject")) >= 2)
    settle()
    patches = google_wallet.requests(kind="loyaltyObject")[1:]
    sent: dict = {}
    for patch in patches:
        assert patch.status == 200, patch
        sent.update(patch.body)
    assert sent["state"] == "INACTIVE"
    assert sent["accountName"] == "Erased customer"
    # The card page link the object carries is the new one: the old token is gone everywhere.
    with schema_context(google_shop.merchant.schema_name):
        stored = WalletPass.objects.get(card_id=card.pk).google_object
        token = LoyaltyCard.objects.get(pk=card.pk).public_token
    assert "Jane" not in str(stored) and card.public_token not in str(stored)
    assert token in str(sent["linksModuleData"])
