"""Apple's PassKit web service (SPEC §4), walked as Apple Wallet on a phone walks it: register the
pass, learn which passes changed since a tag, download the new pass, unregister; every refusal."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import zipfile
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import parse_http_date
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyCard
from common.throttling import ClientIpRateThrottle
from programs.models import LoyaltyProgram, Store
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty, client_for
from tests.wallets.conftest import PASS_TYPE_ID, AppleChain
from wallets.apple.web_service import EPOCH, SETTLE_MARGIN, tag_for
from wallets.models import AppleRegistration, WalletPass
from wallets.selectors import passes_updated_since
from wallets.services import ensure_wallet_pass

pytestmark = pytest.mark.django_db

BASE = "/api/v1/loyalty/apple/v1"
DEVICE = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def _registration_url(serial: str, device: str = DEVICE, pass_type: str = PASS_TYPE_ID) -> str:
    return f"{BASE}/devices/{device}/registrations/{pass_type}/{serial}"


def _list_url(device: str = DEVICE, pass_type: str = PASS_TYPE_ID) -> str:
    return f"{BASE}/devices/{device}/registrations/{pass_type}"


def _pass_url(serial: str, pass_type: str = PASS_TYPE_ID) -> str:
    return f"{BASE}/passes/{pass_type}/{serial}"


def _wallet_pass(loyalty: Loyalty, email: str = "jane@example.com") -> WalletPass:
    card = new_card(loyalty, email=email)
    with schema_context(loyalty.merchant.schema_name):
        return ensure_wallet_pass(card=card)


def _phone(loyalty: Loyalty, wallet_pass: WalletPass | None = None, **headers: str) -> Client:
    """Apple Wallet on a phone, sending the pass's token as Apple does."""
    if wallet_pass is not None:
        headers.setdefault("Authorization", f"ApplePass {wallet_pass.apple_auth_token}")
    return client_for(loyalty.merchant, headers=headers)


def _register(phone: Client, serial: str, push_token: str = "push-1", **kwargs: Any):
    return phone.post(
        _registration_url(serial, **kwargs),
        {"pushToken": push_token},
        content_type="application/json",
    )


def _registrations(loyalty: Loyalty) -> list[tuple[str, str, str]]:
    with schema_context(loyalty.merchant.schema_name):
        return sorted(
            AppleRegistration.objects.values_list(
                "device_library_id", "wallet_pass__apple_serial_number", "push_token"
            )
        )


def _rows(card: LoyaltyCard) -> list[Any]:
    return [
        LoyaltyCard.objects.filter(pk=card.pk),
        Customer.objects.filter(pk=card.customer_id),
        LoyaltyProgram.objects.filter(pk=card.program_id),
        Store.objects.filter(pk=card.store_id),
    ]


def _a_minute_passes(loyalty: Loyalty, card: LoyaltyCard) -> None:
    """As if everything the pass shows had last changed a minute earlier than it did: the phone
    comes back once every change has long settled."""
    with schema_context(loyalty.merchant.schema_name):
        for rows in _rows(card):
            rows.update(updated_at=F("updated_at") - dt.timedelta(minutes=1))


def _set_version(loyalty: Loyalty, card: LoyaltyCard, version: dt.datetime) -> None:
    """The pass's version is exactly ``version``: the card changed then, the rest before."""
    with schema_context(loyalty.merchant.schema_name):
        for rows in _rows(card)[1:]:
            rows.update(updated_at=version - dt.timedelta(days=1))
        LoyaltyCard.objects.filter(pk=card.pk).update(updated_at=version)


def _pass_json(response: Any) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return json.loads(archive.read("pass.json"))


def test_a_phone_registers_follows_a_stamp_and_unregisters(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    wallet_pass = _wallet_pass(loyalty)
    serial = wallet_pass.apple_serial_number
    phone = _phone(loyalty, wallet_pass)

    # The pass is added: the phone registers, then registers again with a new push token.
    assert _register(phone, serial, "push-1").status_code == 201
    again = _register(phone, serial, "push-2")
    assert again.status_code == 200
    assert _registrations(loyalty) == [(DEVICE, serial, "push-2")]

    # The first listing has no tag: every registered pass; its tag then lists nothing new.
    _a_minute_passes(loyalty, wallet_pass.card)
    first = phone.get(_list_url())
    assert first.status_code == 200
    assert first.json()["serialNumbers"] == [serial]
    tag = first.json()["lastUpdated"]
    assert isinstance(tag, str)
    assert phone.get(_list_url(), {"passesUpdatedSince": tag}).status_code == 204

    # The cashier stamps the card; the push makes the phone ask what changed since its tag.
    assert stamp(loyalty, wallet_pass.card).status_code == 201
    _a_minute_passes(loyalty, wallet_pass.card)
    changed = phone.get(_list_url(), {"passesUpdatedSince": tag})
    assert changed.status_code == 200
    assert changed.json()["serialNumbers"] == [serial]
    new_tag = changed.json()["lastUpdated"]
    assert int(new_tag) > int(tag)
    assert phone.get(_list_url(), {"passesUpdatedSince": new_tag}).status_code == 204

    # It downloads the new pass, which shows the stamp.
    latest = phone.get(_pass_url(serial))
    assert latest.status_code == 200
    assert latest["Content-Type"] == "application/vnd.apple.pkpass"
    shown = _pass_json(latest)
    assert shown["serialNumber"] == serial
    assert str(shown["storeCard"]["primaryFields"][0]["value"]).startswith("1")
    with schema_context(loyalty.merchant.schema_name):
        card_changed = LoyaltyCard.objects.get(pk=wallet_pass.card.pk).updated_at
    # The end of the second of the change: it is long past.
    assert parse_http_date(latest["Last-Modified"]) == int(card_changed.timestamp()) + 1

    # Asked again with the date it got: not modified.
    unchanged = phone.get(_pass_url(serial), headers={"If-Modified-Since": latest["Last-Modified"]})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["Last-Modified"] == latest["Last-Modified"]

    # The pass is removed from the phone.
    gone = phone.delete(_registration_url(serial))
    assert gone.status_code == 200
    assert _registrations(loyalty) == []
    assert phone.delete(_registration_url(serial)).status_code == 200  # once more: still gone
    assert phone.get(_list_url()).status_code == 204


def test_a_new_push_token_replaces_the_old_one_on_every_pass_of_the_device(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    coffee = _wallet_pass(loyalty)
    bakery = _wallet_pass(loyalty, email="joe@example.com")
    other_phone = "ffff0000ffff0000"
    assert _register(_phone(loyalty, coffee), coffee.apple_serial_number, "old").status_code == 201
    assert _register(_phone(loyalty, bakery), bakery.apple_serial_number, "old").status_code == 201
    assert (
        _register(_phone(loyalty, bakery), bakery.apple_serial_number, "theirs", device=other_phone)
    ).status_code == 201

    renewed = _register(_phone(loyalty, coffee), coffee.apple_serial_number, "new")
    assert renewed.status_code == 200
    assert _registrations(loyalty) == sorted(
        [
            (DEVICE, coffee.apple_serial_number, "new"),
            (DEVICE, bakery.apple_serial_number, "new"),
            (other_phone, bakery.apple_serial_number, "theirs"),
        ]
    )


def test_a_second_change_within_the_same_second_is_listed(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    wallet_pass = _wallet_pass(loyalty)
    phone = _phone(loyalty, wallet_pass)
    assert _register(phone, wallet_pass.apple_serial_number).status_code == 201
    second = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)

    _set_version(loyalty, wallet_pass.card, second + dt.timedelta(microseconds=200_000))
    tag = phone.get(_list_url()).json()["lastUpdated"]
    assert tag == tag_for(second + dt.timedelta(microseconds=200_000))

    _set_version(loyalty, wallet_pass.card, second + dt.timedelta(microseconds=200_001))
    again = phone.get(_list_url(), {"passesUpdatedSince": tag})
    assert again.status_code == 200
    assert again.json()["serialNumbers"] == [wallet_pass.apple_serial_number]


def test_a_change_younger_than_the_settle_margin_is_listed_again(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    """A change stamped just before a listing may still be committing while the listing runs:
    the tag stays SETTLE_MARGIN behind the clock, so that such a change is found next time."""
    wallet_pass = _wallet_pass(loyalty)
    phone = _phone(loyalty, wallet_pass)
    assert _register(phone, wallet_pass.apple_serial_number).status_code == 201

    _set_version(loyalty, wallet_pass.card, timezone.now() - SETTLE_MARGIN / 2)
    before = timezone.now()
    first = phone.get(_list_url())
    tag_time = EPOCH + dt.timedelta(microseconds=int(first.json()["lastUpdated"]))
    assert (
        before - SETTLE_MARGIN - dt.timedelta(seconds=1)
        < tag_time
        <= timezone.now() - (SETTLE_MARGIN)
    )
    again = phone.get(_list_url(), {"passesUpdatedSince": first.json()["lastUpdated"]})
    assert again.status_code == 200
    assert again.json()["serialNumbers"] == [wallet_pass.apple_serial_number]

    # Once the change is older than the margin, the tag is the change itself: nothing more.
    settled_version = timezone.now() - SETTLE_MARGIN * 2
    _set_version(loyalty, wallet_pass.card, settled_version)
    settled = phone.get(_list_url())
    assert settled.json()["lastUpdated"] == tag_for(settled_version)
    assert (
        phone.get(_list_url(), {"passesUpdatedSince": settled.json()["lastUpdated"]}).status_code
        == 204
    )


def test_the_listing_is_one_query_however_many_passes_the_device_has(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    passes = [_wallet_pass(loyalty, email=f"holder{i}@example.com") for i in range(3)]
    for wallet_pass in passes:
        assert _register(_phone(loyalty, wallet_pass), wallet_pass.apple_serial_number).status_code
    with schema_context(loyalty.merchant.schema_name), CaptureQueriesContext(connection) as seen:
        updated = passes_updated_since(device_library_id=DEVICE, tag=None)
    queries = [q["sql"] for q in seen.captured_queries if not q["sql"].startswith("SET ")]
    assert len(queries) == 1, queries
    assert updated is not None
    assert updated.serial_numbers == sorted(p.apple_serial_number for p in passes)


def test_a_pass_changed_twice_in_its_current_second_is_never_answered_304(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    """HTTP dates have whole seconds. While the change's second is recent, Last-Modified is that
    second's start, so a second change in the same second is not hidden behind a 304."""
    wallet_pass = _wallet_pass(loyalty)
    phone = _phone(loyalty, wallet_pass)
    first_change = timezone.now().replace(microsecond=100_000)
    _set_version(loyalty, wallet_pass.card, first_change)

    first = phone.get(_pass_url(wallet_pass.apple_serial_number))
    assert first.status_code == 200
    assert parse_http_date(first["Last-Modified"]) == int(first_change.timestamp())

    _set_version(loyalty, wallet_pass.card, first_change + dt.timedelta(microseconds=500_000))
    second = phone.get(
        _pass_url(wallet_pass.apple_serial_number),
        headers={"If-Modified-Since": first["Last-Modified"]},
    )
    assert second.status_code == 200
    assert second["Content-Type"] == "application/vnd.apple.pkpass"

    # Long after, the same version gets the end of its second, and a 304 with it.
    _set_version(loyalty, wallet_pass.card, first_change - dt.timedelta(minutes=1))
    settled = phone.get(_pass_url(wallet_pass.apple_serial_number))
    assert parse_http_date(settled["Last-Modified"]) == int(first_change.timestamp()) - 59
    assert (
        phone.get(
            _pass_url(wallet_pass.apple_serial_number),
            headers={"If-Modified-Since": settled["Last-Modified"]},
        ).status_code
        == 304
    )


def _assert_error(response: Any, status_code: int, code: str) -> None:
    assert response.status_code == status_code, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "ApplePass wrong-token",
        "Bearer {token}",
        "ApplePass",
        "ApplePass {token}x",
        "ApplePass é",
    ],
)
def test_a_missing_or_wrong_token_is_401(
    loyalty: Loyalty, apple_wallet: AppleChain, authorization: str | None
) -> None:
    wallet_pass = _wallet_pass(loyalty)
    serial = wallet_pass.apple_serial_number
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization.format(token=wallet_pass.apple_auth_token)
    stranger = _phone(loyalty, **headers)

    _assert_error(_register(stranger, serial), 401, "not_authenticated")
    _assert_error(stranger.delete(_registration_url(serial)), 401, "not_authenticated")
    _assert_error(stranger.get(_pass_url(serial)), 401, "not_authenticated")
    assert _registrations(loyalty) == []


def test_the_token_of_another_pass_is_401(loyalty: Loyalty, apple_wallet: AppleChain) -> None:
    mine = _wallet_pass(loyalty)
    theirs = _wallet_pass(loyalty, email="joe@example.com")
    assert _register(_phone(loyalty, theirs), theirs.apple_serial_number).status_code == 201
    with_my_token = _phone(loyalty, mine)

    _assert_error(_register(with_my_token, theirs.apple_serial_number), 401, "not_authenticated")
    _assert_error(
        with_my_token.delete(_registration_url(theirs.apple_serial_number)),
        401,
        "not_authenticated",
    )
    _assert_error(
        with_my_token.get(_pass_url(theirs.apple_serial_number)), 401, "not_authenticated"
    )
    assert len(_registrations(loyalty)) == 1
    french = _phone(loyalty, mine, **{"Accept-Language": "fr"})
    assert french.get(_pass_url(theirs.apple_serial_number)).json()["detail"] == (
        "Envoyez le jeton du pass sous la forme « ApplePass <token> »."
    )


def test_unknown_pass_types_and_serials_are_404(loyalty: Loyalty, apple_wallet: AppleChain) -> None:
    wallet_pass = _wallet_pass(loyalty)
    serial = wallet_pass.apple_serial_number
    phone = _phone(loyalty, wallet_pass)
    other_type = "pass.example.someone-else"

    _assert_error(_register(phone, serial, pass_type=other_type), 404, "not_found")
    _assert_error(phone.delete(_registration_url(serial, pass_type=other_type)), 404, "not_found")
    _assert_error(phone.get(_list_url(pass_type=other_type)), 404, "not_found")
    _assert_error(phone.get(_pass_url(serial, pass_type=other_type)), 404, "not_found")
    unknown = "0" * 32
    _assert_error(_register(phone, unknown), 404, "not_found")
    _assert_error(phone.delete(_registration_url(unknown)), 404, "not_found")
    _assert_error(phone.get(_pass_url(unknown)), 404, "not_found")
    assert _registrations(loyalty) == []


def test_another_merchants_pass_is_not_found_on_this_host(
    loyalty: Loyalty, other_loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    theirs = _wallet_pass(other_loyalty)
    serial = theirs.apple_serial_number
    # Their pass, with its own valid token, sent to this merchant's host.
    here = _phone(loyalty, theirs)

    _assert_error(_register(here, serial), 404, "not_found")
    _assert_error(here.delete(_registration_url(serial)), 404, "not_found")
    _assert_error(here.get(_pass_url(serial)), 404, "not_found")
    assert here.get(_list_url()).status_code == 204
    assert _registrations(loyalty) == [] and _registrations(other_loyalty) == []
    # On its own host it works.
    assert _register(_phone(other_loyalty, theirs), serial).status_code == 201


def test_with_apple_wallet_off_every_route_is_404(loyalty: Loyalty) -> None:
    wallet_pass = _wallet_pass(loyalty)
    serial = wallet_pass.apple_serial_number
    phone = _phone(loyalty, wallet_pass)

    for response in [
        _register(phone, serial),
        phone.delete(_registration_url(serial)),
        phone.get(_list_url()),
        phone.get(_pass_url(serial)),
        phone.post(f"{BASE}/log", {"logs": ["x"]}, content_type="application/json"),
    ]:
        _assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"pushToken": ""},
        {"pushToken": 42},
        {"pushToken": "x" * 257},
        ["push"],
    ],
)
def test_a_bad_registration_body_is_400(
    loyalty: Loyalty, apple_wallet: AppleChain, body: Any
) -> None:
    wallet_pass = _wallet_pass(loyalty)
    response = _phone(loyalty, wallet_pass).post(
        _registration_url(wallet_pass.apple_serial_number), body, content_type="application/json"
    )
    _assert_error(response, 400, "invalid")
    assert _registrations(loyalty) == []


def test_a_body_that_is_not_json_or_a_device_id_too_long_is_400(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    wallet_pass = _wallet_pass(loyalty)
    phone = _phone(loyalty, wallet_pass)
    url = _registration_url(wallet_pass.apple_serial_number)
    _assert_error(phone.post(url, "{push", content_type="application/json"), 400, "invalid")
    _assert_error(phone.post(url, "push", content_type="text/plain"), 415, "unsupported_media_type")
    too_long = _register(phone, wallet_pass.apple_serial_number, device="d" * 129)
    _assert_error(too_long, 400, "invalid")
    assert "deviceLibraryIdentifier" in too_long.json()["errors"]
    assert _registrations(loyalty) == []


def test_a_foreign_tag_lists_every_pass(loyalty: Loyalty, apple_wallet: AppleChain) -> None:
    wallet_pass = _wallet_pass(loyalty)
    phone = _phone(loyalty, wallet_pass)
    assert _register(phone, wallet_pass.apple_serial_number).status_code == 201
    for tag in ["", "yesterday", "-5", "9" * 19, "1" * 40]:
        response = phone.get(_list_url(), {"passesUpdatedSince": tag})
        assert response.status_code in (200, 204), (tag, response.content)
        if tag != "9" * 19:  # far in the future: nothing is newer
            assert response.json()["serialNumbers"] == [wallet_pass.apple_serial_number], tag


def test_device_logs_are_written_bounded_and_not_stored(
    loyalty: Loyalty, apple_wallet: AppleChain, caplog: pytest.LogCaptureFixture
) -> None:
    phone = _phone(loyalty)
    logs = ["Web service error for pass.test.loyalty: 401\nforged line", "y" * 5000] + ["z"] * 30
    with caplog.at_level(logging.WARNING, logger="wallets.apple.devices"):
        response = phone.post(f"{BASE}/log", {"logs": logs}, content_type="application/json")
    assert response.status_code == 200
    records = [r for r in caplog.records if r.name == "wallets.apple.devices"]
    assert len(records) == 21
    assert all(r.levelno == logging.WARNING for r in records)
    assert "\n" not in records[0].getMessage()
    assert "Web service error" in records[0].getMessage()
    assert len(records[1].getMessage()) < 600

    _assert_error(
        phone.post(f"{BASE}/log", "{not json", content_type="application/json"), 400, "invalid"
    )
    _assert_error(
        phone.post(f"{BASE}/log", {"logs": "one"}, content_type="application/json"),
        400,
        "invalid",
    )


def test_a_client_chosen_x_forwarded_for_does_not_reset_the_budget(
    loyalty: Loyalty, apple_wallet: AppleChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ClientIpRateThrottle.THROTTLE_RATES, "apple_devices", "3/min")
    statuses = [
        _phone(loyalty, **{"X-Forwarded-For": f"198.51.100.{i}"}).get(_list_url()).status_code
        for i in range(4)
    ]
    assert statuses == [204, 204, 204, 429]
    refused = _phone(loyalty).get(_pass_url("0" * 32))
    _assert_error(refused, 429, "throttled")
    assert int(refused["Retry-After"]) > 0


def test_a_pass_that_cannot_be_signed_is_503_not_500(
    loyalty: Loyalty, apple_wallet: AppleChain, settings: Any, tmp_path: Any
) -> None:
    wallet_pass = _wallet_pass(loyalty)
    settings.APPLE_PASS_KEY_FILE = str(tmp_path / "missing.key")
    response = _phone(loyalty, wallet_pass).get(_pass_url(wallet_pass.apple_serial_number))
    _assert_error(response, 503, "unavailable")
    assert int(response["Retry-After"]) > 0
