"""The "Add to Google Wallet" link: ``GET /api/v1/loyalty/passes/google/{serial}`` answers 302 to
``https://pay.google.com/gp/v/save/<JWT>``, the JWT signed RS256 with the service account's key.

A card Google already has is named by its object's id (a short link); a card Google has not got
yet (refused so far, or Google Wallet switched on after the card was made) carries the whole
object, valid against Google's schema, and a sync is queued that inserts it. Real commits and real
HTTP against the stand-in (tests/wallets/google_standin.py).
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from django.http import HttpResponse
from django_tenants.utils import schema_context
from PIL import Image

from cards.models import LoyaltyCard
from common.urls import absolute_url
from tests.cards.helpers import new_card
from tests.conftest import Loyalty, client_for
from tests.wallets.conftest import GOOGLE_ISSUER_ID, GoogleAccountFiles
from tests.wallets.google_schema import problems
from tests.wallets.google_standin import GoogleStandIn
from tests.wallets.test_google_sync import eventually, settle
from wallets.models import GoogleClass, WalletPass
from wallets.services import ensure_wallet_pass

pytestmark = pytest.mark.usefixtures("committed_db")

SAVE = "https://pay.google.com/gp/v/save/"
ENDPOINT = "/api/v1/loyalty/passes/google/{}"


@pytest.fixture
def shop(committed_loyalty: Loyalty, google_wallet: GoogleStandIn) -> Iterator[Loyalty]:
    settle()
    google_wallet.reset()
    yield committed_loyalty
    settle()  # syncs still running finish before the merchant's schema is dropped


@pytest.fixture
def account(google_standin: tuple[GoogleStandIn, GoogleAccountFiles]) -> GoogleAccountFiles:
    return google_standin[1]


def _pass(loyalty: Loyalty, card: LoyaltyCard) -> WalletPass:
    with schema_context(loyalty.merchant.schema_name):
        return WalletPass.objects.get(card=card)


def _synced(loyalty: Loyalty, card: LoyaltyCard, field: str) -> bool:
    """Whether the card's pass has ``field`` set yet (the sync makes the pass)."""
    with schema_context(loyalty.merchant.schema_name):
        wallet_pass = WalletPass.objects.filter(card=card).first()
    return wallet_pass is not None and bool(getattr(wallet_pass, field))


def _follow(loyalty: Loyalty, serial: str) -> HttpResponse:
    return client_for(loyalty.merchant).get(ENDPOINT.format(serial))


def _claims(response: HttpResponse, account: GoogleAccountFiles) -> tuple[dict, dict]:
    """The verified header and claims of the link a 302 points to."""
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.startswith(SAVE)
    token = location.removeprefix(SAVE)
    claims = jwt.decode(
        token,
        account.key.public_key(),
        algorithms=["RS256"],
        audience="google",
        options={"require": ["iss", "aud", "iat"]},
    )
    return jwt.get_unverified_header(token), claims


def _account_file(account: GoogleAccountFiles) -> dict[str, str]:
    return json.loads(account.credentials_file.read_text())


def test_a_card_google_has_gets_a_short_signed_link_naming_its_object(
    shop: Loyalty, google_wallet: GoogleStandIn, account: GoogleAccountFiles
) -> None:
    card = new_card(shop)
    assert eventually(lambda: _synced(shop, card, "google_object"))
    settle()
    stored = _pass(shop, card)
    before = len(google_wallet.requests())

    response = _follow(shop, stored.apple_serial_number)

    header, claims = _claims(response, account)
    info = _account_file(account)
    assert header["alg"] == "RS256" and header["kid"] == info["private_key_id"]
    assert claims["iss"] == info["client_email"]
    assert claims["typ"] == "savetowallet"
    assert abs(claims["iat"] - time.time()) < 60
    assert claims["origins"] == [absolute_url(shop.merchant.primary_host, "")]
    held = google_wallet.get("loyaltyObject", stored.google_object_id)
    assert held is not None
    assert claims["payload"] == {
        "loyaltyObjects": [{"id": stored.google_object_id, "classId": held["classId"]}]
    }
    assert len(response["Location"]) < 1800, "Google asks for links under 1,800 characters"
    settle()
    assert len(google_wallet.requests()) == before, "nothing to sync: Google has the card"


def test_a_card_google_refused_carries_its_whole_object_and_a_sync_inserts_it(
    shop: Loyalty, google_wallet: GoogleStandIn, account: GoogleAccountFiles
) -> None:
    google_wallet.fail_next(400, reason="invalidArgument", kind="loyaltyObject", method="POST")
    card = new_card(shop)
    assert eventually(lambda: _synced(shop, card, "google_error"))
    settle()
    refused = _pass(shop, card)
    assert not refused.google_object

    _header, claims = _claims(_follow(shop, refused.apple_serial_number), account)

    assert set(claims["payload"]) == {"loyaltyObjects"}, "Google has the class already"
    [body] = claims["payload"]["loyaltyObjects"]
    assert problems("LoyaltyObject", body) == []
    assert body["accountName"] == "Jane" and body["accountId"] == card.formatted_number
    with schema_context(shop.merchant.schema_name):
        assert body["classId"] == GoogleClass.objects.get(program=card.program).class_id
    # The queued sync inserts it, under the id the link carried.
    assert eventually(lambda: google_wallet.get("loyaltyObject", body["id"]) is not None)
    assert eventually(lambda: _synced(shop, card, "google_object"))
    settle()
    inserted = _pass(shop, card)
    assert inserted.google_object_id == body["id"] and not inserted.google_error

    _header, again = _claims(_follow(shop, inserted.apple_serial_number), account)
    assert again["payload"] == {"loyaltyObjects": [{"id": body["id"], "classId": body["classId"]}]}


def test_google_wallet_switched_on_after_enrollment_brings_the_class_along(
    shop: Loyalty, google_wallet: GoogleStandIn, account: GoogleAccountFiles, settings: Any
) -> None:
    issuer = settings.GOOGLE_WALLET_ISSUER_ID
    settings.GOOGLE_WALLET_ISSUER_ID = ""  # off while Jane joins
    card = new_card(shop)
    with schema_context(shop.merchant.schema_name):
        serial = ensure_wallet_pass(card=card).apple_serial_number
    settle()
    assert google_wallet.requests() == []
    settings.GOOGLE_WALLET_ISSUER_ID = issuer

    response = _follow(shop, serial)

    _header, claims = _claims(response, account)
    [klass] = claims["payload"]["loyaltyClasses"]
    [body] = claims["payload"]["loyaltyObjects"]
    assert problems("LoyaltyClass", klass) == [] and problems("LoyaltyObject", body) == []
    assert body["classId"] == klass["id"]
    assert eventually(lambda: google_wallet.get("loyaltyObject", body["id"]) is not None)
    assert google_wallet.get("loyaltyClass", klass["id"]) is not None


def test_the_apis_google_save_url_leads_to_googles_save_page(
    shop: Loyalty, google_wallet: GoogleStandIn, account: GoogleAccountFiles
) -> None:
    enrolled = client_for(shop.merchant).post(
        "/api/v1/loyalty/enroll/main",
        {"name": "Jane Doe", "email": "jane@example.com", "marketing_consent": False},
        content_type="application/json",
    )
    assert enrolled.status_code == 201, enrolled.content
    url = enrolled.json()["google_save_url"]
    assert url and url.startswith(absolute_url(shop.merchant.primary_host, "/api/"))
    assert enrolled.json()["apple_pass_url"] is None, "Apple Wallet is off"

    _header, claims = _claims(client_for(shop.merchant).get(urlsplit(url).path), account)
    [body] = claims["payload"]["loyaltyObjects"]
    assert body["id"].startswith(f"{GOOGLE_ISSUER_ID}.")
    # Whether the link came before or after the sync, Jane's card ends up under that id.
    assert eventually(lambda: google_wallet.get("loyaltyObject", body["id"]) is not None)


def test_an_unknown_serial_is_a_404(shop: Loyalty) -> None:
    response = _follow(shop, "0" * 32)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("damage", ["missing", "not a key"])
def test_credentials_that_cannot_be_read_are_a_503_that_tells_no_secret(
    shop: Loyalty,
    account: GoogleAccountFiles,
    settings: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    damage: str,
) -> None:
    card = new_card(shop)
    settle()
    info = _account_file(account)
    path = tmp_path / "service-account.json"
    if damage == "not a key":
        # Cut short: the file still holds most of the key, none of which may come out.
        pem = info["private_key"]
        path.write_text(json.dumps({**info, "private_key": pem[: len(pem) // 2]}))
    settings.GOOGLE_WALLET_CREDENTIALS_FILE = str(path)

    with caplog.at_level(logging.DEBUG):
        response = _follow(shop, _pass(shop, card).apple_serial_number)

    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert response.json()["code"] == "unavailable"
    assert "Location" not in response
    told = response.content.decode() + caplog.text
    assert str(path) in caplog.text, "the operator learns which file to fix"
    key_lines = [line for line in info["private_key"].splitlines() if "-----" not in line]
    assert not any(line in told for line in key_lines)
    assert info["private_key_id"] not in told


# The default logo Google fetches


def test_the_default_logo_is_a_660_pixel_square_png(shop: Loyalty) -> None:
    response = client_for(shop.merchant).get(
        f"/api/v1/loyalty/passes/google/logo/{shop.stamps_program.pk}.png"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (660, 660))
    # The card's colour fills it (Google masks it to a circle: the corner shows it).
    with schema_context(shop.merchant.schema_name):
        colour = shop.stamps_program.card_color.lstrip("#")
    assert image.convert("RGB").getpixel((5, 5)) == tuple(bytes.fromhex(colour))

    unknown = client_for(shop.merchant).get("/api/v1/loyalty/passes/google/logo/999999.png")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_the_class_points_google_at_the_logo_endpoint(
    shop: Loyalty, google_wallet: GoogleStandIn
) -> None:
    new_card(shop)
    assert eventually(lambda: bool(google_wallet.requests(kind="loyaltyClass")))
    settle()
    [klass] = google_wallet.requests(kind="loyaltyClass")
    uri = klass.body["programLogo"]["sourceUri"]["uri"]
    assert urlsplit(uri).path == f"/api/v1/loyalty/passes/google/logo/{shop.stamps_program.pk}.png"
    assert client_for(shop.merchant).get(urlsplit(uri).path).status_code == 200
