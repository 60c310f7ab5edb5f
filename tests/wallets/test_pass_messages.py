"""A merchant's message on the cards' passes (``wallets.messages``): the Apple pass's "news" field
and a new pass version pushed to every registered device (the local APNs stand-in, HTTP/2 over
TLS), and Google's ``addMessage`` with a notification (the local Google stand-in), within Google's
3 notifications per pass per 24 hours."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from programs.models import LoyaltyProgram
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty, client_for
from tests.wallets.apns_standin import GONE, OK, UNAVAILABLE, ApnsStandIn
from tests.wallets.conftest import PASS_TYPE_ID, AppleChain, GoogleAccountFiles
from tests.wallets.google_standin import GoogleStandIn, Received
from wallets.google import client as google_client
from wallets.google.sync import sync_cards
from wallets.messages import (
    MessageOutcome,
    PassMessage,
    Reach,
    post_messages,
    reach_counts,
    wallet_reach,
)
from wallets.models import AppleRegistration, WalletPass
from wallets.services import ensure_wallet_pass

pytestmark = pytest.mark.django_db

TOKEN_A = "a1" * 32
TOKEN_B = "b2" * 32
TOKEN_C = "c3" * 32
TOKEN_D = "d4" * 32
STRING_ENTRY = re.compile(r'^"((?:\\.|[^"\\])*)" = "((?:\\.|[^"\\])*)";$')


@pytest.fixture
def apple(settings: Any, apple_wallet: AppleChain, apns_standin: ApnsStandIn) -> ApnsStandIn:
    """Apple Wallet on, pushing to the APNs stand-in (emptied first)."""
    settings.APNS_URL = apns_standin.url
    settings.APNS_CA_FILE = str(apns_standin.tls.ca_file)
    settings.APNS_TIMEOUT_SECONDS = 1
    apns_standin.reset()
    return apns_standin


@pytest.fixture
def google(google_wallet: GoogleStandIn, monkeypatch: pytest.MonkeyPatch) -> GoogleStandIn:
    monkeypatch.setattr(google_client, "BACKOFF_SECONDS", 0.01)  # in-call retries made short
    return google_wallet


# --- helpers


def card_with_passes(
    loyalty: Loyalty,
    email: str,
    *,
    tokens: tuple[str, ...] = (),
    on_google: bool = True,
) -> LoyaltyCard:
    """A card whose Apple pass ``tokens``' devices registered for, and whose Google object Google
    holds (inserted through the sync) when ``on_google``."""
    card = new_card(loyalty, email=email)
    with schema_context(loyalty.merchant.schema_name):
        wallet_pass = ensure_wallet_pass(card=card)
        for token in tokens:
            AppleRegistration.objects.create(
                wallet_pass=wallet_pass, device_library_id=f"device-{token}", push_token=token
            )
        if on_google:
            assert sync_cards([card.pk]).inserted == 1
    return card


def message(card: LoyaltyCard, name: str = "m1", **fields: str) -> PassMessage:
    return PassMessage(
        card_id=card.pk,
        message_id=f"{name}-{card.pk}",
        header=fields.get("header", "Coffee Card"),
        text=fields.get("text", "Double stamps this Saturday"),
        detail=fields.get("detail", ""),
    )


def post(
    loyalty: Loyalty, *messages: PassMessage, now: dt.datetime | None = None
) -> dict[int, MessageOutcome]:
    with schema_context(loyalty.merchant.schema_name):
        return post_messages(list(messages), now=now)


def stored(loyalty: Loyalty, card: LoyaltyCard) -> WalletPass:
    with schema_context(loyalty.merchant.schema_name):
        return WalletPass.objects.get(card_id=card.pk)


def registrations(loyalty: Loyalty) -> set[str]:
    with schema_context(loyalty.merchant.schema_name):
        return set(AppleRegistration.objects.values_list("push_token", flat=True))


def added(standin: GoogleStandIn) -> list[Received]:
    return standin.requests(kind="loyaltyObject", action="addMessage")


def pushed(standin: ApnsStandIn) -> list[str]:
    return sorted(recorded.token for recorded in standin.received())


def pkpass_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def strings(data: bytes) -> dict[str, str]:
    entries = {}
    for line in data.decode("utf-16").splitlines():
        match = STRING_ENTRY.match(line)
        assert match, line
        entries[match[1]] = match[2]
    return entries


def download(loyalty: Loyalty, card: LoyaltyCard) -> dict[str, bytes]:
    serial = stored(loyalty, card).apple_serial_number
    response = client_for(loyalty.merchant).get(f"/api/v1/loyalty/passes/apple/{serial}.pkpass")
    assert response.status_code == 200, response.content[:300]
    return pkpass_files(response.content)


def back_fields(files: dict[str, bytes]) -> list[dict[str, Any]]:
    return json.loads(files["pass.json"])["storeCard"]["backFields"]


# --- The Apple pass


def test_the_pass_always_shows_news_first_and_a_message_takes_its_place(
    loyalty: Loyalty, apple: ApnsStandIn
) -> None:
    card = card_with_passes(loyalty, "jane@example.com", on_google=False)

    before = download(loyalty, card)
    news, *others = back_fields(before)
    # Present before any message, so that the first one is a change Wallet announces.
    assert news == {
        "key": "news",
        "label": "label.news",
        "value": "text.no_news",
        "changeMessage": "change.news",
    }
    assert "news_detail" not in {field["key"] for field in others}
    english = strings(before["en.lproj/pass.strings"])
    assert (english["label.news"], english["text.no_news"]) == ("News", "No news yet")
    for language in ("fr", "de", "lb"):
        translated = strings(before[f"{language}.lproj/pass.strings"])
        assert translated["label.news"] != "News", language
        assert translated["text.no_news"] != "No news yet", language
    for language in ("en", "fr", "de", "lb"):
        # On the lock screen: the message itself.
        assert strings(before[f"{language}.lproj/pass.strings"])["change.news"] == "%@"

    outcomes = post(
        loyalty,
        message(card, text="A free coffee is waiting", detail="Until Sunday, at any store."),
    )

    assert outcomes == {card.pk: MessageOutcome(apple="none", google="none")}  # no device yet
    after = download(loyalty, card)
    news, detail, *others = back_fields(after)
    assert news == {
        "key": "news",
        "label": "label.news",
        "value": "A free coffee is waiting",  # as written: already in the customer's language
        "changeMessage": "change.news",
    }
    assert detail == {
        "key": "news_detail",
        "label": "label.news_detail",
        "value": "Until Sunday, at any store.",
    }
    assert "changeMessage" not in detail
    assert [field["key"] for field in others] == [field["key"] for field in back_fields(before)[1:]]
    assert strings(after["fr.lproj/pass.strings"])["label.news_detail"] == "En savoir plus"


def _phone(loyalty: Loyalty, wallet_pass: WalletPass) -> Client:
    return client_for(
        loyalty.merchant, headers={"Authorization": f"ApplePass {wallet_pass.apple_auth_token}"}
    )


def test_a_message_is_a_new_version_the_phone_lists_and_downloads(
    loyalty: Loyalty, apple: ApnsStandIn
) -> None:
    card = card_with_passes(loyalty, "jane@example.com", on_google=False)
    wallet_pass = stored(loyalty, card)
    serial = wallet_pass.apple_serial_number
    phone = _phone(loyalty, wallet_pass)
    base = "/api/v1/loyalty/apple/v1"
    device = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    listing = f"{base}/devices/{device}/registrations/{PASS_TYPE_ID}"
    registered = phone.post(
        f"{listing}/{serial}", {"pushToken": TOKEN_A}, content_type="application/json"
    )
    assert registered.status_code == 201
    # Everything the pass shows last changed a minute ago: the phone is up to date.
    with schema_context(loyalty.merchant.schema_name):
        for model, pk in (
            (LoyaltyCard, card.pk),
            (type(card.customer), card.customer_id),
            (type(card.program), card.program_id),
            (type(card.store), card.store_id),
        ):
            model.objects.filter(pk=pk).update(updated_at=timezone.now() - dt.timedelta(minutes=1))
    tag = phone.get(listing).json()["lastUpdated"]
    assert phone.get(listing, {"passesUpdatedSince": tag}).status_code == 204
    held = phone.get(f"{base}/passes/{PASS_TYPE_ID}/{serial}")
    assert held.status_code == 200
    assert (
        phone.get(
            f"{base}/passes/{PASS_TYPE_ID}/{serial}",
            headers={"If-Modified-Since": held["Last-Modified"]},
        ).status_code
        == 304
    )

    outcomes = post(loyalty, message(card, text="We miss you: a coffee on us"))

    assert outcomes[card.pk].apple == "sent" and outcomes[card.pk].apple_devices == 1
    assert pushed(apple) == [TOKEN_A]
    changed = phone.get(listing, {"passesUpdatedSince": tag})
    assert changed.status_code == 200
    assert changed.json()["serialNumbers"] == [serial]
    latest = phone.get(
        f"{base}/passes/{PASS_TYPE_ID}/{serial}",
        headers={"If-Modified-Since": held["Last-Modified"]},
    )
    assert latest.status_code == 200
    news = back_fields(pkpass_files(latest.content))[0]
    assert news["value"] == "We miss you: a coffee on us"


# --- Both wallets


def test_a_message_reaches_exactly_the_given_cards_devices_and_objects(
    loyalty: Loyalty, apple: ApnsStandIn, google: GoogleStandIn, django_assert_num_queries: Any
) -> None:
    jane = card_with_passes(loyalty, "jane@example.com", tokens=(TOKEN_A, TOKEN_B))
    joe = card_with_passes(loyalty, "joe@example.com", tokens=(TOKEN_C,), on_google=False)
    ann = card_with_passes(loyalty, "ann@example.com", tokens=())
    left_out = card_with_passes(loyalty, "left@example.com", tokens=(TOKEN_D,))
    no_pass = new_card(loyalty, email="nopass@example.com")
    with schema_context(loyalty.merchant.schema_name):
        assert LoyaltyCard.objects.exists()  # the schema's search path set
        with django_assert_num_queries(1):
            reach = wallet_reach([jane.pk, joe.pk, ann.pk, left_out.pk, no_pass.pk])
        with django_assert_num_queries(1):  # a preview of any number of cards
            counts = reach_counts(LoyaltyCard.objects.values("pk"))
    assert reach == {
        jane.pk: Reach(apple=True, google=True),
        joe.pk: Reach(apple=True, google=False),
        ann.pk: Reach(apple=False, google=True),
        left_out.pk: Reach(apple=True, google=True),
        no_pass.pk: Reach(apple=False, google=False),
    }
    assert counts == {"cards": 5, "apple": 3, "google": 3, "both": 2, "none": 1}
    google.clear_requests()

    outcomes = post(
        loyalty,
        message(jane, text="Double stamps this Saturday", header="Coffee Card"),
        message(joe),
        message(ann, detail="All day long."),
        message(no_pass),
    )

    assert outcomes == {
        jane.pk: MessageOutcome(apple="sent", apple_devices=2, google="sent"),
        joe.pk: MessageOutcome(apple="sent", apple_devices=1, google="none"),
        ann.pk: MessageOutcome(apple="none", google="sent"),
        no_pass.pk: MessageOutcome(),
    }
    assert pushed(apple) == sorted([TOKEN_A, TOKEN_B, TOKEN_C])
    sent = {r.resource_id: r for r in added(google)}
    jane_object = stored(loyalty, jane).google_object_id
    ann_object = stored(loyalty, ann).google_object_id
    assert set(sent) == {jane_object, ann_object}
    assert all(r.method == "POST" and r.status == 200 for r in sent.values())
    assert sent[jane_object].body == {
        "message": {
            "header": "Coffee Card",
            "body": "Double stamps this Saturday",
            "id": f"m1-{jane.pk}",
            "messageType": "TEXT_AND_NOTIFY",
        }
    }
    assert sent[ann_object].body is not None
    assert (
        sent[ann_object].body["message"]["body"] == "Double stamps this Saturday\n\nAll day long."
    )
    held = google.get("loyaltyObject", jane_object)
    assert held is not None and [m["id"] for m in held["messages"]] == [f"m1-{jane.pk}"]
    assert "messages" not in (
        google.get("loyaltyObject", stored(loyalty, left_out).google_object_id) or {}
    )

    for card in (jane, joe, ann):
        shown = stored(loyalty, card)
        assert shown.message_id == f"m1-{card.pk}" and shown.message_at is not None
    assert stored(loyalty, jane).google_message_id == f"m1-{jane.pk}"
    assert len(stored(loyalty, jane).google_notified_at) == 1
    untouched = stored(loyalty, left_out)
    assert (untouched.message_id, untouched.message_at, untouched.google_notified_at) == (
        "",
        None,
        [],
    )


def test_sending_the_same_message_again_sends_nothing_new(
    loyalty: Loyalty, apple: ApnsStandIn, google: GoogleStandIn
) -> None:
    card = card_with_passes(loyalty, "jane@example.com", tokens=(TOKEN_A,))
    google.clear_requests()
    first = post(loyalty, message(card))
    version = stored(loyalty, card).message_at

    again = post(loyalty, message(card))

    assert first[card.pk] == MessageOutcome(apple="sent", apple_devices=1, google="sent")
    assert again[card.pk] == first[card.pk]
    assert pushed(apple) == [TOKEN_A]
    assert len(added(google)) == 1
    assert stored(loyalty, card).message_at == version
    assert len(stored(loyalty, card).google_notified_at) == 1


def test_what_google_refused_is_sent_again_with_its_notification_given_back(
    loyalty: Loyalty, apple: ApnsStandIn, google: GoogleStandIn
) -> None:
    card = card_with_passes(loyalty, "jane@example.com", tokens=(TOKEN_A,))
    google.clear_requests()
    google.fail_next(400, reason="invalidArgument", action="addMessage")

    first = post(loyalty, message(card))

    assert first[card.pk].apple == "sent"
    assert first[card.pk].google == "failed"
    assert first[card.pk].error.startswith("Google: 400")
    assert stored(loyalty, card).google_notified_at == []  # not spent

    again = post(loyalty, message(card))

    assert again[card.pk] == MessageOutcome(apple="sent", apple_devices=1, google="sent")
    assert pushed(apple) == [TOKEN_A]  # the pass already showed it: not pushed twice
    assert [r.status for r in added(google)] == [400, 200]
    assert len(stored(loyalty, card).google_notified_at) == 1


def test_an_object_google_lost_fails_without_spending_a_notification(
    loyalty: Loyalty, apple: ApnsStandIn, google: GoogleStandIn
) -> None:
    card = card_with_passes(loyalty, "jane@example.com")
    with google.state.lock:
        google.state.resources["loyaltyObject"].clear()

    outcome = post(loyalty, message(card))[card.pk]

    assert (outcome.google, outcome.error[:11]) == ("failed", "Google: 404")
    assert stored(loyalty, card).google_notified_at == []


def test_the_fourth_notification_in_a_day_is_refused_counting_reward_notifications(
    loyalty: Loyalty, apple: ApnsStandIn, google: GoogleStandIn
) -> None:
    card = card_with_passes(loyalty, "jane@example.com", tokens=(TOKEN_A,))
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(pk=card.program_id).update(max_daily_stamps=50)
    # A reward becomes available: the sync spends one notification on it.
    assert stamp(loyalty, card, quantity=10).status_code == 201
    with schema_context(loyalty.merchant.schema_name):
        assert sync_cards([card.pk]).notified == 1
    google.clear_requests()
    now = timezone.now()

    outcomes = [
        post(loyalty, message(card, name), now=now + dt.timedelta(minutes=n))[card.pk]
        for n, name in enumerate(("m1", "m2", "m3"))
    ]

    assert [outcome.google for outcome in outcomes] == ["sent", "sent", "budget"]
    # Apple Wallet has no such limit: the third message is on the pass and pushed.
    assert [outcome.apple for outcome in outcomes] == ["sent", "sent", "sent"]
    assert [r.body["message"]["id"] for r in added(google) if r.body] == [
        f"m1-{card.pk}",
        f"m2-{card.pk}",
    ]
    assert len(stored(loyalty, card).google_notified_at) == 3

    # A day after the first two, their notifications no longer count.
    later = post(loyalty, message(card, "m3"), now=now + dt.timedelta(hours=24, minutes=5))

    assert later[card.pk].google == "sent"
    assert len(added(google)) == 3
    assert len(pushed(apple)) == 3  # the third message was pushed the first time, not again


def test_a_gone_device_is_forgotten_and_a_silent_apns_is_a_failure(
    loyalty: Loyalty, apple: ApnsStandIn, google: GoogleStandIn
) -> None:
    both = card_with_passes(loyalty, "jane@example.com", tokens=(TOKEN_A, TOKEN_B), on_google=False)
    gone = card_with_passes(loyalty, "joe@example.com", tokens=(TOKEN_C,), on_google=False)
    busy = card_with_passes(loyalty, "ann@example.com", tokens=(TOKEN_D,), on_google=False)
    apple.script(TOKEN_A, GONE)
    apple.script(TOKEN_C, GONE)
    apple.script(TOKEN_D, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, OK)

    outcomes = post(loyalty, message(both), message(gone), message(busy))

    assert outcomes[both.pk] == MessageOutcome(apple="sent", apple_devices=1)
    assert outcomes[gone.pk] == MessageOutcome(apple="none")  # no phone holds it any more
    assert outcomes[busy.pk].apple == "failed"
    assert outcomes[busy.pk].error == "APNs: 503 ServiceUnavailable"
    with schema_context(loyalty.merchant.schema_name):
        busy_registration = AppleRegistration.objects.get(push_token=TOKEN_D).pk
    assert outcomes[busy.pk].apple_retry_registration_ids == [busy_registration]
    assert registrations(loyalty) == {TOKEN_B, TOKEN_D}
    assert len(apple.received(TOKEN_D)) == 3  # the in-task attempts


def test_with_the_wallets_off_a_message_is_kept_on_the_pass_and_sent_nowhere(
    loyalty: Loyalty, settings: Any
) -> None:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        AppleRegistration.objects.create(
            wallet_pass=ensure_wallet_pass(card=card), device_library_id="d", push_token=TOKEN_A
        )
        WalletPass.objects.filter(card_id=card.pk).update(google_object_id="3388.x-1")
        assert wallet_reach([card.pk]) == {card.pk: Reach(apple=False, google=False)}
        assert reach_counts([card.pk])["none"] == 1

    assert post(loyalty, message(card)) == {card.pk: MessageOutcome()}
    assert stored(loyalty, card).message_text == "Double stamps this Saturday"


def test_a_message_is_one_lock_screen_line(loyalty: Loyalty) -> None:
    with pytest.raises(ValueError):
        PassMessage(card_id=1, message_id="m1", header="Coffee", text="x" * 91)
    with pytest.raises(ValueError):
        PassMessage(card_id=1, message_id="m" * 65, header="Coffee", text="Hello")


def test_the_count_only_standin_takes_messages_for_the_benchmark(
    loyalty: Loyalty,
    settings: Any,
    google_standin: tuple[GoogleStandIn, GoogleAccountFiles],
    google_wallet: GoogleStandIn,
) -> None:
    _standin, files = google_standin
    counting = GoogleStandIn(public_key=files.key.public_key(), count_only=True)
    # The same service account: its token URI is the session stand-in's, which issues tokens
    # the counting one does not know; it takes any token it issued itself.
    counting.state.tokens = google_wallet.state.tokens
    counting.start()
    try:
        settings.GOOGLE_WALLET_API_URL = counting.url
        card = new_card(loyalty)
        with schema_context(loyalty.merchant.schema_name):
            ensure_wallet_pass(card=card)
            WalletPass.objects.filter(card_id=card.pk).update(google_object_id="3388.x-1")

        assert post(loyalty, message(card))[card.pk].google == "sent"

        [received] = counting.requests(action="addMessage")
        assert (received.resource_id, received.status) == ("3388.x-1", 200)
    finally:
        counting.stop()
