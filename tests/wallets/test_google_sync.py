"""A card's Google Wallet object follows the card: inserted when the customer enrolls, patched
with only what changed after a stamp, through the tests' stand-in for Google's REST API and OAuth
token endpoint (tests/wallets/google_standin.py), which refuses what Google's schema refuses.

Real commits (the announcements fire after commit) and real HTTP. Without a broker the sync runs
on a thread of its own after the coalescing window, as in development.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django_tenants.utils import schema_context

from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty
from tests.wallets.google_standin import GoogleStandIn
from wallets.models import GoogleClass, WalletPass

pytestmark = pytest.mark.usefixtures("committed_db")


def _background() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("wallet-")]


def settle() -> None:
    for thread in _background():
        thread.join(15)


@pytest.fixture
def shop(committed_loyalty: Loyalty, google_wallet: GoogleStandIn) -> Iterator[Loyalty]:
    settle()
    google_wallet.reset()
    yield committed_loyalty
    settle()  # syncs still running finish before the merchant's schema is dropped


def eventually(check: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def wallet_pass(loyalty: Loyalty, card_id: int) -> WalletPass:
    with schema_context(loyalty.merchant.schema_name):
        return WalletPass.objects.get(card_id=card_id)


def test_enrolling_inserts_the_class_and_the_object_and_a_stamp_patches_the_balance(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    card = new_card(shop)

    assert eventually(lambda: len(google_wallet.requests(kind="loyaltyObject")) == 1)
    settle()
    [klass] = google_wallet.requests(kind="loyaltyClass")
    assert klass.method == "POST" and klass.status == 200
    [insert] = google_wallet.requests(kind="loyaltyObject")
    assert insert.method == "POST" and insert.status == 200, insert
    stored = wallet_pass(shop, card.pk)
    assert insert.body["id"] == stored.google_object_id
    assert insert.body["classId"] == klass.body["id"]
    assert insert.body["loyaltyPoints"]["balance"] == {"string": "0/10"}
    with schema_context(shop.merchant.schema_name):
        assert GoogleClass.objects.get().class_id == klass.body["id"]

    assert stamp(shop, card).status_code == 201

    assert eventually(lambda: len(google_wallet.requests(kind="loyaltyObject")) == 2)
    settle()
    patch = google_wallet.requests(kind="loyaltyObject")[-1]
    assert patch.method == "PATCH" and patch.status == 200
    assert patch.resource_id == stored.google_object_id
    assert patch.body == {
        "loyaltyPoints": {**insert.body["loyaltyPoints"], "balance": {"string": "1/10"}}
    }
    held = google_wallet.get("loyaltyObject", stored.google_object_id)
    assert held is not None and held["loyaltyPoints"]["balance"] == {"string": "1/10"}
