"""A card's Google Wallet object follows the card: inserted when the customer enrolls, patched
with only what changed after a stamp, through the tests' stand-in for Google's REST API and OAuth
token endpoint (tests/wallets/google_standin.py), which refuses what Google's schema refuses.

Real commits (the announcements fire after commit) and real HTTP. Without a broker the sync runs
on a thread of its own after the coalescing window, as in development.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from cards.services import set_card_active, update_customer
from programs.models import LoyaltyProgram
from programs.services import update_program, update_store
from tests.cards.helpers import new_card, points, stamp
from tests.conftest import POINTS_PIN, STAMPS_PIN, Loyalty
from tests.wallets.conftest import GOOGLE_ISSUER_ID, GoogleAccountFiles
from tests.wallets.google_standin import GoogleStandIn, Received
from tests.wallets.helpers import eventually, settle
from wallets.google import client as google_client
from wallets.models import GoogleClass, WalletPass

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture
def shop(committed_loyalty: Loyalty, google_wallet: GoogleStandIn) -> Iterator[Loyalty]:
    settle()
    google_wallet.reset()
    yield committed_loyalty
    settle()  # syncs still running finish before the merchant's schema is dropped


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


# --- Helpers of the tests below


def objects(standin: GoogleStandIn, method: str | None = None) -> list[Received]:
    return standin.requests(kind="loyaltyObject", method=method)


def enrolled(shop: Loyalty, standin: GoogleStandIn, store_code: str = "main") -> LoyaltyCard:
    """A new card whose object Google holds (the insert done, the stand-in's log emptied)."""
    card = new_card(shop, store_code=store_code)
    settle()
    assert [r.status for r in objects(standin, "POST")] == [200]
    with standin.state.lock:
        standin.state.received.clear()
    return card


def no_cooldown(loyalty: Loyalty) -> None:
    """Stamps may follow each other at once (test set-up: no announcement)."""
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(pk=loyalty.stamps_program.pk).update(
            cooldown_minutes=0, max_daily_stamps=100
        )


def redeem(loyalty: Loyalty, card: LoyaltyCard) -> Any:
    return loyalty.api().post(
        "/api/v1/vendor/loyalty/stamps/redeem",
        {"card_number": card.card_number, "staff_pin_id": loyalty.stamps_pin_id, "pin": STAMPS_PIN},
        content_type="application/json",
    )


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's in-call backoff (a tuning constant: 0.5, 1, 2 s) made short for the tests."""
    monkeypatch.setattr(google_client, "BACKOFF_SECONDS", 0.01)


# --- What Google holds follows what we have


def test_a_patch_of_an_object_google_forgot_becomes_an_insert_of_the_whole_object(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    card = enrolled(shop, google_wallet)
    object_id = wallet_pass(shop, card.pk).google_object_id
    with google_wallet.state.lock:
        del google_wallet.state.resources["loyaltyObject"][object_id]

    assert stamp(shop, card).status_code == 201
    settle()

    patch, insert = objects(google_wallet)
    assert (patch.method, patch.status) == ("PATCH", 404)
    assert (insert.method, insert.status) == ("POST", 200)
    assert insert.body is not None and insert.body["id"] == object_id
    assert insert.body["accountName"] == "Jane"  # the whole object, not the change alone
    held = google_wallet.get("loyaltyObject", object_id)
    assert held is not None and held["loyaltyPoints"]["balance"] == {"string": "1/10"}
    stored = wallet_pass(shop, card.pk)
    assert stored.google_error == "" and stored.google_object == insert.body


def test_an_insert_of_an_object_google_has_becomes_a_patch(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    card = enrolled(shop, google_wallet)
    object_id = wallet_pass(shop, card.pk).google_object_id
    with schema_context(shop.merchant.schema_name):
        # Our record of what Google accepted is lost (as after a restore from an old backup).
        WalletPass.objects.filter(card_id=card.pk).update(google_object_id="", google_object={})

    assert stamp(shop, card).status_code == 201
    settle()

    insert, patch = objects(google_wallet)
    assert (insert.method, insert.status) == ("POST", 409)
    assert (patch.method, patch.status, patch.resource_id) == ("PATCH", 200, object_id)
    held = google_wallet.get("loyaltyObject", object_id)
    assert held is not None and held["loyaltyPoints"]["balance"] == {"string": "1/10"}
    stored = wallet_pass(shop, card.pk)
    assert stored.google_object_id == object_id
    assert stored.google_object["loyaltyPoints"]["balance"] == {"string": "1/10"}


@pytest.mark.parametrize(
    ("status", "reason"),
    [(429, ""), (403, "quotaExceeded"), (503, "")],
    ids=["too-many-requests", "quota-exceeded", "unavailable"],
)
def test_google_asking_to_slow_down_is_retried_within_the_call(
    shop: Loyalty, google_wallet: GoogleStandIn, quick_retries: None, status: int, reason: str
) -> None:
    google_wallet.fail_next(status, reason=reason, kind="loyaltyObject")

    card = new_card(shop)
    settle()

    assert [(r.method, r.status) for r in objects(google_wallet)] == [
        ("POST", status),
        ("POST", 200),
    ]
    stored = wallet_pass(shop, card.pk)
    assert stored.google_error == "" and stored.google_synced_at is not None
    assert google_wallet.get("loyaltyObject", stored.google_object_id) is not None


def test_a_refusal_is_recorded_without_troubling_the_cashier_and_cleared_by_the_next_sync(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    no_cooldown(shop)
    card = enrolled(shop, google_wallet)
    google_wallet.fail_next(400, method="PATCH")

    assert stamp(shop, card).status_code == 201
    settle()

    [refused] = objects(google_wallet)  # a refusal is not retried
    assert (refused.method, refused.status) == ("PATCH", 400)
    stored = wallet_pass(shop, card.pk)
    assert "400" in stored.google_error and "stand-in fault" in stored.google_error
    assert stored.google_error_at is not None
    # What Google accepted last is kept: the next sync sends the difference from it.
    assert stored.google_object["loyaltyPoints"]["balance"] == {"string": "0/10"}

    assert stamp(shop, card).status_code == 201
    settle()

    accepted = objects(google_wallet)[-1]
    assert (accepted.method, accepted.status) == ("PATCH", 200)
    assert accepted.body is not None
    assert accepted.body["loyaltyPoints"]["balance"] == {"string": "2/10"}
    stored = wallet_pass(shop, card.pk)
    assert stored.google_error == "" and stored.google_error_at is None
    held = google_wallet.get("loyaltyObject", stored.google_object_id)
    assert held is not None and held["loyaltyPoints"]["balance"] == {"string": "2/10"}


def test_cards_refused_with_their_class_get_their_objects_once_the_programme_is_fixed(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    google_wallet.fail_next(400, kind="loyaltyClass")  # e.g. a logo Google cannot fetch

    card = new_card(shop)
    settle()

    assert [(r.kind, r.status) for r in google_wallet.requests()] == [("loyaltyClass", 400)]
    with schema_context(shop.merchant.schema_name):
        assert "400" in GoogleClass.objects.get().error
    assert "class" in wallet_pass(shop, card.pk).google_error

    with schema_context(shop.merchant.schema_name):
        update_program(program=shop.stamps_program, card_color="#112233")
    settle()

    assert [(r.kind, r.method, r.status) for r in google_wallet.requests()][1:] == [
        ("loyaltyClass", "POST", 200),
        ("loyaltyObject", "POST", 200),
    ]
    stored = wallet_pass(shop, card.pk)
    assert stored.google_error == "" and stored.google_object_id
    assert google_wallet.get("loyaltyObject", stored.google_object_id) is not None


def test_a_refused_change_of_the_class_does_not_stop_the_balances_following_the_cards(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    card = enrolled(shop, google_wallet)
    google_wallet.fail_next(400, kind="loyaltyClass")

    with schema_context(shop.merchant.schema_name):
        update_program(program=shop.stamps_program, card_color="#112233")
    settle()
    with schema_context(shop.merchant.schema_name):
        assert "400" in GoogleClass.objects.get().error  # shown on the programme

    # Google still has the class as it last accepted it: the cards' objects go on changing.
    assert stamp(shop, card).status_code == 201
    settle()

    patch = objects(google_wallet)[-1]
    assert (patch.method, patch.status) == ("PATCH", 200) and patch.body is not None
    assert patch.body["loyaltyPoints"]["balance"] == {"string": "1/10"}
    assert wallet_pass(shop, card.pk).google_error == ""


def test_a_failure_that_outlasts_the_attempts_is_left_for_later_not_recorded_as_a_refusal(
    shop: Loyalty,
    google_wallet: GoogleStandIn,
    quick_retries: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    card = enrolled(shop, google_wallet)
    google_wallet.fail_next(503, kind="loyaltyObject", count=google_client.ATTEMPTS)

    with caplog.at_level(logging.INFO, logger="wallets.google"):
        assert stamp(shop, card).status_code == 201
        settle()

    assert [(r.method, r.status) for r in objects(google_wallet)] == [
        ("PATCH", 503)
    ] * google_client.ATTEMPTS
    stored = wallet_pass(shop, card.pk)
    assert stored.google_error == "" and stored.google_error_at is None
    assert stored.google_object["loyaltyPoints"]["balance"] == {"string": "0/10"}
    messages = [r.getMessage() for r in caplog.records if r.name == "wallets.google"]
    assert any("no broker to retry" in m for m in messages), messages


def test_an_unreadable_service_account_postpones_the_sync_and_a_later_change_catches_up(
    shop: Loyalty,
    google_wallet: GoogleStandIn,
    settings: Any,
    tmp_path: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    no_cooldown(shop)
    working = settings.GOOGLE_WALLET_CREDENTIALS_FILE
    settings.GOOGLE_WALLET_CREDENTIALS_FILE = str(tmp_path / "rotated-away.json")

    with caplog.at_level(logging.INFO, logger="wallets"):
        card = new_card(shop)
        settle()

    assert google_wallet.requests() == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "rotated-away.json" in caplog.text and "no broker to retry" in caplog.text
    assert wallet_pass(shop, card.pk).google_error == ""  # not the card's fault

    settings.GOOGLE_WALLET_CREDENTIALS_FILE = working
    assert stamp(shop, card).status_code == 201
    settle()

    [insert] = objects(google_wallet)
    assert (insert.method, insert.status) == ("POST", 200) and insert.body is not None
    assert insert.body["loyaltyPoints"]["balance"] == {"string": "1/10"}


# --- Notifications: spent on a reward becoming available, at most 3 a day


def _reward_cycle(shop: Loyalty, card: LoyaltyCard, standin: GoogleStandIn) -> Received:
    """Stamps up to the target (a reward becomes available), then the reward redeemed; returns
    the patch that showed the reward."""
    assert stamp(shop, card, quantity=10).status_code == 201
    settle()
    ready = objects(standin)[-1]
    assert ready.method == "PATCH" and ready.status == 200 and ready.body is not None
    assert ready.body["loyaltyPoints"]["balance"] == {"string": "10/10"}
    assert redeem(shop, card).status_code == 201
    settle()
    redeemed = objects(standin)[-1]
    assert redeemed.body is not None and "notifyPreference" not in redeemed.body
    return ready


def test_a_reward_becoming_available_notifies_and_ordinary_stamps_do_not(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    no_cooldown(shop)
    card = enrolled(shop, google_wallet)

    for _ in range(3):
        assert stamp(shop, card).status_code == 201
        settle()
    assert stamp(shop, card, quantity=7).status_code == 201
    settle()

    *ordinary, ready = objects(google_wallet)
    assert len(ordinary) == 3
    assert all(r.body is not None and "notifyPreference" not in r.body for r in ordinary)
    assert ready.body is not None and ready.body["notifyPreference"] == "NOTIFY_ON_UPDATE"
    assert ready.body["loyaltyPoints"]["balance"] == {"string": "10/10"}
    stored = wallet_pass(shop, card.pk)
    assert stored.google_reward_ready and len(stored.google_notified_at) == 1

    # Still ready after another stamp: no second notification for the same reward.
    assert stamp(shop, card).status_code == 201
    settle()
    again = objects(google_wallet)[-1]
    assert again.body is not None and "notifyPreference" not in again.body


def test_points_making_a_reward_affordable_notify_once(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    card = enrolled(shop, google_wallet, store_code="bakery")

    assert points(shop, card, 3000).status_code == 201  # 45 points: the cake costs 50
    settle()
    assert points(shop, card, 400).status_code == 201  # 51
    settle()
    assert points(shop, card, 400).status_code == 201  # 57: still the cake, no news
    settle()

    short, affordable, more = objects(google_wallet)
    assert short.body is not None and "notifyPreference" not in short.body
    assert affordable.body is not None
    assert affordable.body["notifyPreference"] == "NOTIFY_ON_UPDATE"
    assert affordable.body["loyaltyPoints"]["balance"] == {"int": 51}
    reward = next(m for m in affordable.body["textModulesData"] if m["id"] == "reward")
    assert (reward["header"], reward["body"]) == ("Reward ready", "A cake")
    assert more.body is not None and "notifyPreference" not in more.body


def test_points_reaching_a_better_reward_notify_again_and_a_redemption_does_not(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    card = enrolled(shop, google_wallet, store_code="bakery")

    assert points(shop, card, 3400).status_code == 201  # 51 points: the cake (50)
    settle()
    assert points(shop, card, 5000).status_code == 201  # 126: the tart (120) too
    settle()
    answer = shop.api().post(
        "/api/v1/vendor/loyalty/points/redeem",
        {
            "card_number": card.card_number,
            "reward_id": "cake",
            "staff_pin_id": shop.points_pin_id,
            "pin": POINTS_PIN,
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content  # 76 left: the cake is still affordable
    settle()

    cake, tart, redeemed = objects(google_wallet)

    def shown(received: Received) -> tuple[str, bool]:
        assert received.body is not None
        reward = next(m for m in received.body["textModulesData"] if m["id"] == "reward")
        return reward["body"], "notifyPreference" in received.body

    assert shown(cake) == ("A cake", True)
    assert shown(tart) == ("A tart", True)
    assert shown(redeemed) == ("A cake", False)  # the customer is at the counter


def test_never_more_than_three_notifications_a_day_and_the_budget_comes_back(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    no_cooldown(shop)
    card = enrolled(shop, google_wallet)

    notified = [
        "notifyPreference" in (_reward_cycle(shop, card, google_wallet).body or {})
        for _ in range(4)
    ]

    assert notified == [True, True, True, False]
    stored = wallet_pass(shop, card.pk)
    assert len(stored.google_notified_at) == 3

    # A day later those three no longer count.
    day_ago = timezone.now() - dt.timedelta(hours=24, minutes=1)
    with schema_context(shop.merchant.schema_name):
        WalletPass.objects.filter(card_id=card.pk).update(
            google_notified_at=[day_ago.isoformat()] * 3
        )
    assert "notifyPreference" in (_reward_cycle(shop, card, google_wallet).body or {})
    assert len(wallet_pass(shop, card.pk).google_notified_at) == 1


# --- Other changes of a card or a programme


def test_blocking_a_card_makes_its_object_inactive(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    card = enrolled(shop, google_wallet)

    with schema_context(shop.merchant.schema_name):
        set_card_active(card=card, active=False)
    settle()

    [patch] = objects(google_wallet)
    assert (patch.method, patch.status) == ("PATCH", 200)
    assert patch.body == {"state": "INACTIVE"}
    object_id = wallet_pass(shop, card.pk).google_object_id
    held = google_wallet.get("loyaltyObject", object_id)
    assert held is not None and held["state"] == "INACTIVE"

    with schema_context(shop.merchant.schema_name):
        set_card_active(card=card, active=True)
    settle()

    assert objects(google_wallet)[-1].body == {"state": "ACTIVE"}
    held = google_wallet.get("loyaltyObject", object_id)
    assert held is not None and held["state"] == "ACTIVE"


def test_renaming_the_customer_patches_the_name_on_the_object(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    card = enrolled(shop, google_wallet)

    with schema_context(shop.merchant.schema_name):
        update_customer(customer_id=card.customer_id, name="Janet Doe")
    settle()

    [patch] = objects(google_wallet)
    assert (patch.method, patch.status) == ("PATCH", 200)
    assert patch.body == {"accountName": "Janet Doe"}


def test_a_programme_change_patches_the_class_once_and_objects_only_when_they_show_it(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    first = enrolled(shop, google_wallet)
    second = new_card(shop, email="joe@example.com")
    settle()
    with google_wallet.state.lock:
        google_wallet.state.received.clear()
    program = shop.stamps_program

    # The colour and the name are the class's: no object changes.
    with schema_context(shop.merchant.schema_name):
        update_program(program=program, card_color="#112233", card_name="Café Card")
    settle()

    [klass] = google_wallet.requests(kind="loyaltyClass")
    assert (klass.method, klass.status) == ("PATCH", 200)
    assert klass.body is not None
    assert klass.body["hexBackgroundColor"] == "#112233"
    assert klass.body["programName"] == "Café Card"
    assert klass.body["reviewStatus"] == "UNDER_REVIEW"
    assert "issuerName" not in klass.body  # only what changed
    assert objects(google_wallet) == []

    # The reward is shown on every card: each object is patched, the class is not.
    with schema_context(shop.merchant.schema_name):
        update_program(program=program, stamps_reward_description="A free cake")
    settle()

    assert len(google_wallet.requests(kind="loyaltyClass")) == 1
    patches = objects(google_wallet)
    assert sorted(r.resource_id or "" for r in patches) == sorted(
        wallet_pass(shop, card.pk).google_object_id for card in (first, second)
    )
    for patch in patches:
        assert patch.method == "PATCH" and patch.status == 200 and patch.body is not None
        assert set(patch.body) == {"textModulesData"}
        reward = next(m for m in patch.body["textModulesData"] if m["id"] == "reward")
        assert reward["body"] == "A free cake"


def test_a_store_change_patches_the_class_only_when_google_shows_it(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    enrolled(shop, google_wallet)

    # The store's name is on the Apple pass, not in Google's class or objects: nothing is sent.
    with schema_context(shop.merchant.schema_name):
        update_store(store=shop.stamps_store, name="Main Street Café")
    settle()
    assert google_wallet.requests() == []

    # Its position puts the class on the map.
    with schema_context(shop.merchant.schema_name):
        update_store(store=shop.stamps_store, latitude="49.611622", longitude="6.131935")
    settle()

    [klass] = google_wallet.requests()
    assert (klass.kind, klass.method, klass.status) == ("loyaltyClass", "PATCH", 200)
    assert klass.body == {
        "merchantLocations": [{"latitude": 49.611622, "longitude": 6.131935}],
        "reviewStatus": "UNDER_REVIEW",
    }


def test_a_class_google_already_has_is_patched_then_the_object_inserted(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    class_id = f"{GOOGLE_ISSUER_ID}.{shop.merchant.schema_name}-{shop.stamps_program.pk}"
    with google_wallet.state.lock:  # left by an earlier installation
        google_wallet.state.resources["loyaltyClass"][class_id] = {
            "id": class_id,
            "issuerName": "Old name",
            "reviewStatus": "APPROVED",
        }

    card = new_card(shop)
    settle()

    assert [(r.kind, r.method, r.status) for r in google_wallet.requests()] == [
        ("loyaltyClass", "POST", 409),
        ("loyaltyClass", "PATCH", 200),
        ("loyaltyObject", "POST", 200),
    ]
    held = google_wallet.get("loyaltyClass", class_id)
    assert held is not None and held["issuerName"] == shop.merchant.name
    assert held["programName"] == "Coffee Card"
    with schema_context(shop.merchant.schema_name):
        assert GoogleClass.objects.get().class_id == class_id
    assert wallet_pass(shop, card.pk).google_object["classId"] == class_id


def test_a_burst_of_changes_to_a_card_sends_one_patch_with_the_latest_balance(
    shop: Loyalty, google_wallet: GoogleStandIn, settings: Any
) -> None:
    window = 0.8  # wide enough for three API calls on a busy machine
    settings.GOOGLE_WALLET_COALESCE_SECONDS = window
    card = enrolled(shop, google_wallet, store_code="bakery")

    started = time.monotonic()
    for _ in range(3):
        assert points(shop, card, 1000).status_code == 201  # 15 points each
    assert time.monotonic() - started < window, "the burst must fit in the window"
    settle()

    [patch] = objects(google_wallet)
    assert (patch.method, patch.status) == ("PATCH", 200) and patch.body is not None
    assert patch.body["loyaltyPoints"]["balance"] == {"int": 45}
    with schema_context(shop.merchant.schema_name):
        assert LoyaltyCard.objects.get(pk=card.pk).points_balance == 45


def test_with_google_wallet_off_nothing_is_sent(
    committed_loyalty: Loyalty,
    google_standin: tuple[GoogleStandIn, GoogleAccountFiles],
    settings: Any,
) -> None:
    standin, _files = google_standin
    settle()
    standin.reset()
    tokens = standin.state.token_requests
    # Off (no issuer, no credentials), yet the address is the stand-in's: nothing may reach it.
    settings.GOOGLE_WALLET_API_URL = standin.url
    settings.GOOGLE_WALLET_COALESCE_SECONDS = 0.2

    card = new_card(committed_loyalty)
    assert stamp(committed_loyalty, card).status_code == 201
    time.sleep(0.4)
    settle()

    assert standin.requests() == [] and standin.state.token_requests == tokens
    with schema_context(committed_loyalty.merchant.schema_name):
        assert not GoogleClass.objects.exists()
        assert not WalletPass.objects.filter(card_id=card.pk).exclude(google_object_id="").exists()
