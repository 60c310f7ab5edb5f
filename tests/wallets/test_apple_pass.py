"""The Apple pass a customer downloads: what pass.json says and in which words, the pictures on
it, and how the download endpoint answers (SPEC §4, §5)."""

from __future__ import annotations

import email.utils
import io
import json
import logging
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django_tenants.utils import schema_context
from PIL import Image

from cards.models import LoyaltyCard
from cards.services import set_card_active
from programs.models import LoyaltyProgram, Store
from programs.services import create_store, set_program_stores, update_program
from tests.cards.helpers import new_card, points, stamp
from tests.conftest import Loyalty, client_for
from tests.wallets.conftest import KEY_PASSWORD, AppleChain
from wallets.services import ensure_wallet_pass

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "fr", "de", "lb")
RGB = re.compile(r"^rgb\((\d{1,3}), (\d{1,3}), (\d{1,3})\)$")
STRING_ENTRY = re.compile(r'^"((?:\\.|[^"\\])*)" = "((?:\\.|[^"\\])*)";$')


# --- helpers


def _serial(loyalty: Loyalty, card: LoyaltyCard) -> str:
    with schema_context(loyalty.merchant.schema_name):
        return ensure_wallet_pass(card=card).apple_serial_number


def _download(loyalty: Loyalty, card: LoyaltyCard, **headers: str) -> HttpResponse:
    url = f"/api/v1/loyalty/passes/apple/{_serial(loyalty, card)}.pkpass"
    return client_for(loyalty.merchant).get(url, headers=headers)


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _pass(loyalty: Loyalty, card: LoyaltyCard) -> tuple[dict[str, Any], dict[str, bytes]]:
    response = _download(loyalty, card)
    assert response.status_code == 200, response.content[:300]
    files = _files(response.content)
    return json.loads(files["pass.json"]), files


def _json(loyalty: Loyalty, card: LoyaltyCard) -> dict[str, Any]:
    return _pass(loyalty, card)[0]


def _unescape(text: str) -> str:
    replacements = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda match: replacements[match[1]], text)


def _strings(data: bytes) -> dict[str, str]:
    """A pass.strings file read as the phone would: UTF-16 with its BOM, one entry a line."""
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff"), "UTF-16 with a byte-order mark"
    entries = {}
    for line in data.decode("utf-16").splitlines():
        match = STRING_ENTRY.match(line)
        assert match, f"not a strings entry: {line!r}"
        entries[_unescape(match[1])] = _unescape(match[2])
    return entries


def _fields(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    card = content["storeCard"]
    return {
        field["key"]: field
        for group in ("headerFields", "primaryFields", "secondaryFields", "auxiliaryFields")
        for field in card.get(group, [])
    }


def _hybrid(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        update_program(
            program=LoyaltyProgram.objects.get(pk=loyalty.stamps_program.pk),
            loyalty_type="hybrid",
            points_per_euro=Decimal("2"),
            points_rewards=[{"id": "mug", "name": "A mug", "points_cost": 100}],
        )


def _set_store(loyalty: Loyalty, **values: Any) -> None:
    with schema_context(loyalty.merchant.schema_name):
        store = Store.objects.get(pk=loyalty.stamps_store.pk)
        for name, value in values.items():
            setattr(store, name, value)
        store.full_clean()
        store.save()


def _png(size: tuple[int, int], colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- pass.json


def test_pass_json_has_apples_documented_keys_with_their_types(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    card = new_card(loyalty)
    content, files = _pass(loyalty, card)

    assert content["formatVersion"] == 1
    for key in (
        "passTypeIdentifier",
        "teamIdentifier",
        "serialNumber",
        "organizationName",
        "description",
        "logoText",
    ):
        assert isinstance(content[key], str) and content[key], key
    assert content["passTypeIdentifier"] == apple_wallet.pass_type_id
    assert content["teamIdentifier"] == apple_wallet.team_id
    assert content["serialNumber"] == _serial(loyalty, card)
    assert content["organizationName"] == "Main Street"
    assert content["logoText"] == "Coffee Card"
    for key in ("backgroundColor", "foregroundColor", "labelColor"):
        assert RGB.match(content[key]), content[key]
    assert content["voided"] is False

    store_card = content["storeCard"]
    assert isinstance(store_card, dict)
    keys = []
    for group, fields in store_card.items():
        assert group in {
            "headerFields",
            "primaryFields",
            "secondaryFields",
            "auxiliaryFields",
            "backFields",
        }
        assert isinstance(fields, list)
        for field in fields:
            assert isinstance(field["key"], str)
            assert isinstance(field["value"], str | int | float)
            assert isinstance(field.get("label", ""), str)
            keys.append(field["key"])
    assert len(keys) == len(set(keys)), "field keys are unique within the pass"

    barcode = {
        "format": "PKBarcodeFormatQR",
        "message": card.qr_code_data,
        "messageEncoding": "iso-8859-1",
        "altText": card.formatted_number,
    }
    assert content["barcodes"] == [barcode]
    assert content["barcode"] == barcode  # iOS before 9
    assert " " in barcode["altText"]

    back = {field["key"]: field for field in store_card["backFields"]}
    page = back["page"]["value"]
    assert page.startswith(f"http://{loyalty.merchant.primary_host}")
    assert f"/c/{card.public_token}/" in page
    assert client_for(loyalty.merchant).get(page.split(":8000")[-1]).status_code == 200
    assert "how" in back and "terms" in back

    assert {
        "pass.json",
        "icon.png",
        "icon@2x.png",
        "icon@3x.png",
        "logo.png",
        "logo@2x.png",
        "logo@3x.png",
        "strip.png",
        "strip@2x.png",
        "strip@3x.png",
        *(f"{language}.lproj/pass.strings" for language in LANGUAGES),
        "manifest.json",
        "signature",
    } == set(files)


def test_a_stamp_card_shows_its_stamps_over_the_target_and_what_is_missing(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    card = new_card(loyalty)
    assert stamp(loyalty, card, quantity=3).status_code == 201
    content = _json(loyalty, card)

    primary = content["storeCard"]["primaryFields"]
    assert [field["value"] for field in primary] == ["3 / 10"]
    assert primary[0]["changeMessage"] == "change.stamps"
    fields = _fields(content)
    assert fields["reward"]["value"] == "A free coffee"
    assert fields["missing"]["value"] == 7
    assert fields["member"]["value"] == "Jane"
    assert "points" not in fields


def test_a_points_card_shows_its_balance_and_the_next_reward(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    card = new_card(loyalty, store_code="bakery")
    assert points(loyalty, card, 2000).status_code == 201  # 20 euros at 1.5 points
    content, files = _pass(loyalty, card)

    primary = content["storeCard"]["primaryFields"]
    assert [(field["key"], field["value"]) for field in primary] == [("points", 30)]
    assert primary[0]["changeMessage"] == "change.points"
    fields = _fields(content)
    assert (fields["reward"]["value"], fields["missing"]["value"]) == ("A cake", 20)
    assert "stamps" not in fields
    # A points card has no stamps to draw: its balance reads larger without a strip.
    assert not any(name.startswith("strip") for name in files)


def test_a_hybrid_card_shows_stamps_and_points(loyalty: Loyalty, apple_wallet: AppleChain) -> None:
    _hybrid(loyalty)
    card = new_card(loyalty)
    assert stamp(loyalty, card, quantity=2).status_code == 201
    content, files = _pass(loyalty, card)

    fields = _fields(content)
    assert fields["stamps"]["value"] == "2 / 10"
    assert fields["points"]["value"] == 0
    assert fields["points"]["changeMessage"] == "change.points"
    assert "strip.png" in files


@pytest.mark.parametrize(
    ("colour", "background", "ink"),
    [
        ("#ffeb3b", "rgb(255, 235, 59)", "rgb(0, 0, 0)"),
        ("#1a237e", "rgb(26, 35, 126)", "rgb(255, 255, 255)"),
    ],
)
def test_colours_are_the_programmes_with_a_readable_ink(
    loyalty: Loyalty, apple_wallet: AppleChain, colour: str, background: str, ink: str
) -> None:
    with schema_context(loyalty.merchant.schema_name):
        update_program(
            program=LoyaltyProgram.objects.get(pk=loyalty.stamps_program.pk), card_color=colour
        )
    content = _json(loyalty, new_card(loyalty))
    assert content["backgroundColor"] == background
    assert content["foregroundColor"] == ink
    assert content["labelColor"] == ink


def test_a_blocked_card_gets_a_voided_pass(loyalty: Loyalty, apple_wallet: AppleChain) -> None:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        set_card_active(card=card, active=False)
    content = _json(loyalty, card)
    assert content["voided"] is True


def test_the_web_service_and_its_token_only_over_https(
    loyalty: Loyalty, apple_wallet: AppleChain, settings: Any
) -> None:
    card = new_card(loyalty)
    content = _json(loyalty, card)
    assert "webServiceURL" not in content
    assert "authenticationToken" not in content

    settings.PUBLIC_SCHEME = "https"
    settings.PUBLIC_PORT = ""
    content = _json(loyalty, card)
    with schema_context(loyalty.merchant.schema_name):
        token = ensure_wallet_pass(card=card).apple_auth_token
    assert content["webServiceURL"] == (
        f"https://{loyalty.merchant.primary_host}/api/v1/loyalty/apple"
    )
    assert content["authenticationToken"] == token
    assert len(token) >= 16


def test_locations_only_when_the_store_has_coordinates(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    card = new_card(loyalty)
    content = _json(loyalty, card)
    assert "locations" not in content

    _set_store(loyalty, latitude=Decimal("49.611622"), longitude=Decimal("6.131935"))
    content, files = _pass(loyalty, card)
    assert content["locations"] == [
        {"latitude": 49.611622, "longitude": 6.131935, "relevantText": "text.relevant.0"}
    ]
    relevant = _strings(files["fr.lproj/pass.strings"])["text.relevant.0"]
    assert "Coffee Card" in relevant and "Main Street" in relevant


def test_every_participating_store_brings_the_pass_to_the_lock_screen(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    """The card's own store first, then the others; each with its own words; the terms name
    every store where the card is valid."""
    card = new_card(loyalty)
    _set_store(loyalty, latitude=Decimal("49.611622"), longitude=Decimal("6.131935"))
    with schema_context(loyalty.merchant.schema_name):
        airport = create_store(
            name="Airport", code="airport", latitude=Decimal("49.6266"), longitude=Decimal("6.2115")
        )
        set_program_stores(program=loyalty.stamps_program, stores=[loyalty.stamps_store, airport])

    content, files = _pass(loyalty, card)

    assert content["locations"] == [
        {"latitude": 49.611622, "longitude": 6.131935, "relevantText": "text.relevant.1"},
        {"latitude": 49.6266, "longitude": 6.2115, "relevantText": "text.relevant.0"},
    ]
    words = _strings(files["en.lproj/pass.strings"])
    assert words["text.relevant.0"] == "Show your Coffee Card at Airport"
    assert words["text.relevant.1"] == "Show your Coffee Card at Main Street"
    assert "valid at Airport, Main Street only" in words["text.terms"]


# --- pass.strings


def _localised_keys(content: dict[str, Any]) -> set[str]:
    """The keys pass.json hands to pass.strings: labels, change messages, relevant texts, the
    description, and values written as keys."""
    found = {content["description"]}
    for fields in content["storeCard"].values():
        for field in fields:
            found.add(field["label"])
            if "changeMessage" in field:
                found.add(field["changeMessage"])
            if isinstance(field["value"], str) and re.match(r"^[a-z]+\.[a-z_]+$", field["value"]):
                found.add(field["value"])
    for location in content.get("locations", []):
        found.add(location["relevantText"])
    return found


def test_every_language_has_every_key_the_pass_uses_translated(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    _hybrid(loyalty)
    _set_store(loyalty, latitude=Decimal("49.6"), longitude=Decimal("6.1"))
    card = new_card(loyalty)
    content, files = _pass(loyalty, card)
    used = _localised_keys(content)
    assert {"label.stamps", "label.points", "change.stamps", "change.points"} <= used

    strings = {
        language: _strings(files[f"{language}.lproj/pass.strings"]) for language in LANGUAGES
    }
    for language, entries in strings.items():
        assert used <= set(entries), (language, used - set(entries))
        assert all(value.strip() for value in entries.values()), language
    english = strings["en"]
    assert english["label.stamps"] == "Stamps"
    assert english["change.stamps"] == "You now have %@ stamps"
    for language in ("fr", "de", "lb"):
        for key in ("label.stamps", "label.next_reward", "change.stamps", "text.how_it_works"):
            assert strings[language][key] != english[key], (language, key)
        assert "%@" in strings[language]["change.stamps"]
        assert "%@" in strings[language]["change.points"]
    # The rules are written out with the programme's own figures.
    assert "10" in english["text.how_it_works"] and "A free coffee" in english["text.how_it_works"]
    assert "100" in strings["de"]["text.how_it_works"]


def test_quotes_backslashes_and_line_breaks_survive_the_strings_file(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    reward = 'A "big" coffee \\ tea'
    with schema_context(loyalty.merchant.schema_name):
        update_program(
            program=LoyaltyProgram.objects.get(pk=loyalty.stamps_program.pk),
            stamps_reward_description=reward,
        )
    _content, files = _pass(loyalty, new_card(loyalty))
    for language in LANGUAGES:
        how = _strings(files[f"{language}.lproj/pass.strings"])["text.how_it_works"]
        assert reward in how


# --- images


def _ink_share(data: bytes) -> float:
    image = _image(data).convert("L")
    histogram = image.histogram()
    # The default card colour is dark: its ink is white; count the bright pixels.
    return sum(histogram[200:]) / (image.width * image.height)


def test_the_strip_draws_the_stamps_and_changes_with_the_count(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    one = new_card(loyalty, email="one@example.com")
    two = new_card(loyalty, email="two@example.com")
    assert stamp(loyalty, one, quantity=1).status_code == 201
    assert stamp(loyalty, two, quantity=4).status_code == 201
    _content, first = _pass(loyalty, one)
    _content, second = _pass(loyalty, two)

    for name, size in (
        ("strip.png", (375, 144)),
        ("strip@2x.png", (750, 288)),
        ("strip@3x.png", (1125, 432)),
    ):
        assert _image(first[name]).size == size
        assert _image(second[name]).size == size
        assert first[name] != second[name]
    assert _ink_share(second["strip@2x.png"]) > _ink_share(first["strip@2x.png"])
    # The strip is the card colour, stamps aside.
    strip = _image(first["strip.png"]).convert("RGB")
    with schema_context(loyalty.merchant.schema_name):
        colour = LoyaltyProgram.objects.get(pk=loyalty.stamps_program.pk).card_color
    expected = tuple(int(colour[index : index + 2], 16) for index in (1, 3, 5))
    assert strip.getpixel((2, 2)) == expected


def test_icon_and_logo_are_drawn_when_the_programme_has_no_logo(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    _content, files = _pass(loyalty, new_card(loyalty))
    for stem, sizes in (("icon", (29, 58, 87)), ("logo", (50, 100, 150))):
        for name, side in zip((f"{stem}.png", f"{stem}@2x.png", f"{stem}@3x.png"), sizes):
            image = _image(files[name])
            assert image.format == "PNG"
            assert image.size == (side, side), name
            # Not a blank square: the initial is drawn on it.
            assert len(image.convert("RGB").getcolors(maxcolors=100_000)) > 2


def test_icon_and_logo_come_from_an_uploaded_programme_logo(
    loyalty: Loyalty, apple_wallet: AppleChain, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    card = new_card(loyalty)
    _content, before = _pass(loyalty, card)
    with schema_context(loyalty.merchant.schema_name):
        update_program(
            program=LoyaltyProgram.objects.get(pk=loyalty.stamps_program.pk),
            logo=SimpleUploadedFile("logo.png", _png((400, 100), "#c00000"), "image/png"),
        )
    _content, after = _pass(loyalty, card)

    for name, size in (("logo.png", (160, 40)), ("logo@2x.png", (320, 80))):
        logo = _image(after[name])
        assert logo.size == size  # the logo's shape, inside Apple's 160 x 50 points
        assert logo.convert("RGB").getpixel((size[0] // 2, size[1] // 2)) == (192, 0, 0)
        assert after[name] != before[name]
    icon = _image(after["icon@3x.png"]).convert("RGB")
    assert icon.size == (87, 87)
    assert icon.getpixel((43, 43)) == (192, 0, 0)


# --- the download endpoint


def test_the_download_is_a_pkpass_attachment_with_its_last_change(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    card = new_card(loyalty)
    response = _download(loyalty, card, accept="application/vnd.apple.pkpass")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    assert re.match(r'^attachment; filename="[\w.-]+\.pkpass"$', response["Content-Disposition"])
    assert response["Cache-Control"] in ("no-store", "no-cache", "private, no-cache")
    modified = email.utils.parsedate_to_datetime(response["Last-Modified"])
    with schema_context(loyalty.merchant.schema_name):
        updated = LoyaltyCard.objects.get(pk=card.pk).updated_at
    assert abs((modified - updated).total_seconds()) < 1
    assert zipfile.is_zipfile(io.BytesIO(response.content))


def test_unknown_serials_and_another_merchants_passes_are_404(
    loyalty: Loyalty, other_loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    client = client_for(loyalty.merchant)
    unknown = client.get("/api/v1/loyalty/passes/apple/" + "0" * 32 + ".pkpass")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"

    theirs = _serial(other_loyalty, new_card(other_loyalty))
    response = client.get(
        f"/api/v1/loyalty/passes/apple/{theirs}.pkpass",
        headers={"accept": "application/vnd.apple.pkpass"},
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_apple_wallet_off_is_a_404(loyalty: Loyalty) -> None:
    response = _download(loyalty, new_card(loyalty))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unreadable_credentials_are_a_503_with_the_reason_logged_not_the_secrets(
    loyalty: Loyalty,
    apple_wallet: AppleChain,
    settings: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    card = new_card(loyalty)
    settings.APPLE_PASS_KEY_FILE = str(tmp_path / "missing.key")
    with caplog.at_level(logging.ERROR, logger="wallets"):
        response = _download(loyalty, card, accept="application/vnd.apple.pkpass")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "unavailable"
    assert response["Retry-After"].isdigit()
    assert "missing.key" in caplog.text
    assert KEY_PASSWORD not in caplog.text
    assert "PRIVATE KEY" not in caplog.text


def test_a_burst_of_downloads_signs_once_and_a_change_gives_a_new_pass(
    loyalty: Loyalty, apple_wallet: AppleChain
) -> None:
    card = new_card(loyalty)
    first = _download(loyalty, card).content
    second = _download(loyalty, card).content
    # The signature carries its signing time: the same bytes mean it was signed once.
    assert first == second

    assert stamp(loyalty, card).status_code == 201
    third = _download(loyalty, card).content
    assert third != first
    content = json.loads(_files(third)["pass.json"])
    assert content["storeCard"]["primaryFields"][0]["value"] == "1 / 10"
    assert _download(loyalty, card).content == third
