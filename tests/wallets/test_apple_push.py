"""After a change commits, every device registered for the card's Apple pass gets an empty
update notification over HTTP/2 from our APNs client, here received by a local stand-in for APNs
(tests/wallets/apns_standin.py) that checks our client certificate.

Real commits (the announcements fire after commit), real HTTP/2 and TLS. Without a broker the
push runs on a thread of its own (development); the tests about queuing run a real worker.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from celery import Celery
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from programs.models import LoyaltyProgram
from programs.services import update_program
from tests.cards.helpers import new_card, stamp
from tests.celery_worker import IN_MEMORY, build_app, running_worker
from tests.conftest import Loyalty
from tests.wallets.apns_standin import (
    BAD_TOKEN,
    GONE,
    OK,
    STALL,
    TOO_MANY,
    UNAVAILABLE,
    ApnsStandIn,
    Reply,
    make_server_tls,
)
from tests.wallets.conftest import PASS_TYPE_ID, AppleChain
from tests.wallets.helpers import eventually
from wallets.apple import apns
from wallets.models import AppleRegistration, WalletPass

pytestmark = pytest.mark.usefixtures("committed_db")

WINDOW = 0.3  # the coalescing window of these tests


@pytest.fixture(scope="module")
def standin(
    apple_chain: AppleChain, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApnsStandIn]:
    tls = make_server_tls(tmp_path_factory.mktemp("apns"))
    # APNs trusts the certificates Apple issued: here, those chaining to the tests' root.
    server = ApnsStandIn(
        tls=tls,
        client_ca_files=[
            apple_chain.files["ROOT_CERT_FILE"],
            apple_chain.files["APPLE_WWDR_CERT_FILE"],
        ],
    ).start()
    yield server
    apns.close()
    server.stop()


def _background_pushes() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("wallet-")]


@pytest.fixture(autouse=True)
def push_settings(
    settings: Any, apple_wallet: AppleChain, standin: ApnsStandIn
) -> Iterator[ApnsStandIn]:
    settings.APNS_URL = standin.url
    settings.APNS_CA_FILE = str(standin.tls.ca_file)
    settings.APPLE_PUSH_COALESCE_SECONDS = WINDOW
    settings.APNS_TIMEOUT_SECONDS = 1
    standin.reset()
    yield standin
    # Pushes still running on their threads finish before the merchant's schema is dropped.
    for thread in _background_pushes():
        thread.join(15)


@pytest.fixture
def shop(committed_loyalty: Loyalty, standin: ApnsStandIn) -> Loyalty:
    """The merchant, once the pushes its set-up queued (new programmes) are done."""
    for thread in _background_pushes():
        thread.join(15)
    standin.reset()
    return committed_loyalty


def register(loyalty: Loyalty, card: LoyaltyCard, token: str, device: str = "") -> int:
    """A device registered for the card's pass, as the PassKit web service stores it."""
    with schema_context(loyalty.merchant.schema_name):
        wallet_pass, _created = WalletPass.objects.get_or_create(card=card)
        return AppleRegistration.objects.create(
            wallet_pass=wallet_pass,
            device_library_id=device or f"device-{token}",
            push_token=token,
        ).pk


def registrations(loyalty: Loyalty) -> set[str]:
    with schema_context(loyalty.merchant.schema_name):
        return set(AppleRegistration.objects.values_list("push_token", flat=True))


def no_cooldown(loyalty: Loyalty) -> None:
    """Stamps may follow each other at once (test set-up: no announcement)."""
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(pk=loyalty.stamps_program.pk).update(
            cooldown_minutes=0, max_daily_stamps=50
        )


TOKEN_A = "a1" * 32  # APNs tokens are 64 hex digits
TOKEN_B = "b2" * 32
TOKEN_C = "c3" * 32


def test_a_stamp_pushes_an_empty_notification_to_each_device_of_the_card(
    shop: Loyalty, standin: ApnsStandIn
) -> None:
    card = new_card(shop)
    other = new_card(shop, email="other@example.com")
    register(shop, card, TOKEN_A)
    register(shop, card, TOKEN_B)
    register(shop, other, TOKEN_C)

    assert stamp(shop, card).status_code == 201

    assert standin.wait_for(2)
    time.sleep(WINDOW)  # nothing more comes
    received = standin.received()
    assert sorted(r.path for r in received) == sorted(
        [f"/3/device/{TOKEN_A}", f"/3/device/{TOKEN_B}"]
    )
    for request in received:
        assert request.method == "POST"
        assert request.headers["apns-topic"] == PASS_TYPE_ID
        assert request.headers["apns-push-type"] == "background"
        assert request.headers["apns-priority"] == "5"
        assert request.body == b"{}"
        # The TLS client certificate is the Pass Type ID certificate.
        assert request.client_subject["userId"] == PASS_TYPE_ID
        assert request.client_subject["commonName"] == f"Pass Type ID: {PASS_TYPE_ID}"
    assert registrations(shop) == {TOKEN_A, TOKEN_B, TOKEN_C}


@pytest.mark.parametrize("reply", [GONE, BAD_TOKEN, Reply(400, "Unregistered")])
def test_a_token_apns_calls_gone_loses_every_registration(
    shop: Loyalty, standin: ApnsStandIn, reply: Reply
) -> None:
    card = new_card(shop)
    other = new_card(shop, email="other@example.com")
    register(shop, card, TOKEN_A)
    register(shop, other, TOKEN_A)  # the same phone holds another card's pass
    register(shop, card, TOKEN_B)
    standin.script(TOKEN_A, reply)

    assert stamp(shop, card).status_code == 201

    assert eventually(lambda: registrations(shop) == {TOKEN_B})
    assert len(standin.received(TOKEN_A)) == 1  # not retried


@pytest.mark.parametrize("failure", [UNAVAILABLE, TOO_MANY, Reply(500, "InternalServerError")])
def test_a_busy_or_failing_apns_is_retried_until_it_delivers(
    shop: Loyalty, standin: ApnsStandIn, failure: Reply
) -> None:
    card = new_card(shop)
    register(shop, card, TOKEN_A)
    register(shop, card, TOKEN_B)
    standin.script(TOKEN_A, failure, OK)

    assert stamp(shop, card).status_code == 201

    assert standin.wait_for(2, token=TOKEN_A)
    time.sleep(1)
    assert len(standin.received(TOKEN_A)) == 2
    assert len(standin.received(TOKEN_B)) == 1  # only the failed token is sent again
    assert registrations(shop) == {TOKEN_A, TOKEN_B}


def test_another_refusal_is_dropped_and_the_registration_kept(
    shop: Loyalty, standin: ApnsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    card = new_card(shop)
    register(shop, card, TOKEN_A)
    standin.script(TOKEN_A, Reply(400, "BadTopic"))

    with caplog.at_level("WARNING", logger="wallets.apns"):
        assert stamp(shop, card).status_code == 201
        assert standin.wait_for(1)
        time.sleep(0.5 + WINDOW)

    assert len(standin.received(TOKEN_A)) == 1
    assert registrations(shop) == {TOKEN_A}
    assert "BadTopic" in caplog.text
    assert TOKEN_A not in caplog.text  # a push token is never logged whole
    assert TOKEN_A[:6] in caplog.text


def test_push_tokens_never_reach_the_log_whole(
    shop: Loyalty, standin: ApnsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    card = new_card(shop)
    register(shop, card, TOKEN_A)
    register(shop, card, TOKEN_B)
    standin.script(TOKEN_B, GONE)

    with caplog.at_level("DEBUG"):
        assert stamp(shop, card).status_code == 201
        assert eventually(lambda: registrations(shop) == {TOKEN_A})
        for thread in _background_pushes():
            thread.join(15)

    assert TOKEN_B[:6] in caplog.text  # the removal is logged, with a hint of the token
    assert TOKEN_A not in caplog.text and TOKEN_B not in caplog.text


def test_a_stuck_apns_does_not_slow_a_stamp(
    shop: Loyalty, standin: ApnsStandIn, settings: Any
) -> None:
    # Without a broker, the push must still leave the request: even with no coalescing window.
    settings.APPLE_PUSH_COALESCE_SECONDS = 0
    no_cooldown(shop)
    quiet = new_card(shop, email="quiet@example.com")
    card = new_card(shop)
    register(shop, card, TOKEN_A)
    standin.script(TOKEN_A, STALL)
    stamp(shop, quiet)  # warm up

    def timed(target: LoyaltyCard) -> float:
        started = time.perf_counter()
        assert stamp(shop, target).status_code == 201
        return time.perf_counter() - started

    without_push = min(timed(quiet) for _ in range(3))
    with_stuck_push = timed(card)

    assert standin.wait_for(1, token=TOKEN_A)  # the push was sent, and never answered
    # A push inside the request would wait for APNS_TIMEOUT_SECONDS (1 s) at least.
    assert with_stuck_push < without_push + 0.5, (with_stuck_push, without_push)
    # The stalled token was retried in the background (3 attempts), and kept.
    assert standin.wait_for(3, token=TOKEN_A, timeout=10)
    assert registrations(shop) == {TOKEN_A}


def test_a_programme_change_pushes_every_device_of_its_cards(
    shop: Loyalty, standin: ApnsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("wallets.tasks.PROGRAM_PUSH_BATCH", 2)  # several batches
    tokens = [f"{n:02d}" * 32 for n in range(5)]
    for n, token in enumerate(tokens):
        register(shop, new_card(shop, email=f"c{n}@example.com"), token)
    bakery = new_card(shop, store_code="bakery", email="bread@example.com")
    register(shop, bakery, TOKEN_C)

    with schema_context(shop.merchant.schema_name):
        update_program(program=shop.stamps_program, card_color="#1B4D3E")

    assert standin.wait_for(len(tokens))
    time.sleep(WINDOW + 0.3)
    assert sorted(r.token for r in standin.received()) == sorted(tokens)  # once each


def test_nothing_is_pushed_while_apple_wallet_is_off(
    shop: Loyalty, standin: ApnsStandIn, settings: Any
) -> None:
    card = new_card(shop)
    register(shop, card, TOKEN_A)
    settings.APPLE_PASS_CERT_FILE = ""

    assert stamp(shop, card).status_code == 201

    time.sleep(WINDOW + 0.3)
    assert standin.received() == []


def test_the_standin_refuses_a_client_without_the_pass_certificate(
    standin: ApnsStandIn,
) -> None:
    client = httpx.Client(
        http2=True, verify=ssl.create_default_context(cafile=str(standin.tls.ca_file))
    )
    with pytest.raises(httpx.TransportError), client:
        client.post(f"{standin.url}/3/device/{TOKEN_A}", content=b"{}")
    assert standin.received() == []


# -- On a real worker: the countdown is the broker's --


@pytest.fixture
def worker_app(django_db_blocker: pytest.FixtureDef) -> Iterator[Celery]:
    app = build_app(**IN_MEMORY)
    with django_db_blocker.unblock(), running_worker(app):
        yield app


def test_a_burst_of_changes_is_one_push_per_device_on_a_worker(
    shop: Loyalty, standin: ApnsStandIn, worker_app: Celery, settings: Any
) -> None:
    settings.APPLE_PUSH_COALESCE_SECONDS = window = 1.5
    no_cooldown(shop)
    card = new_card(shop)
    register(shop, card, TOKEN_A)
    register(shop, card, TOKEN_B)

    started = time.monotonic()
    for _ in range(5):
        assert stamp(shop, card).status_code == 201
    assert time.monotonic() - started < window, "the burst outlasted the window"

    assert standin.wait_for(2, timeout=15)
    time.sleep(window + 0.5)
    assert sorted(r.token for r in standin.received()) == [TOKEN_A, TOKEN_B]

    # The push cleared the way: the next change pushes again.
    assert stamp(shop, card).status_code == 201
    assert standin.wait_for(4, timeout=15)
    assert len(standin.received(TOKEN_A)) == 2


def test_a_worker_retries_later_what_apns_kept_refusing(
    shop: Loyalty, standin: ApnsStandIn, worker_app: Celery
) -> None:
    card = new_card(shop)
    register(shop, card, TOKEN_A)
    register(shop, card, TOKEN_B)
    # Three in-task attempts fail; the Celery retry (2 s later) delivers.
    standin.script(TOKEN_A, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, OK)

    assert stamp(shop, card).status_code == 201

    assert standin.wait_for(4, token=TOKEN_A, timeout=20)
    time.sleep(0.5)
    assert len(standin.received(TOKEN_B)) == 1
    assert registrations(shop) == {TOKEN_A, TOKEN_B}
