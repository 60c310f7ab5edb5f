"""What we send Google Wallet is what Google's own schema (the discovery document of
``walletobjects.v1``) accepts: the class of a programme and the object of a stamps, a points and a
hybrid card, a store with coordinates, a blocked card; in every language the platform speaks, with
ids Google allows. And the stand-in the sync tests talk to really refuses what the schema refuses.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from cards.services import enroll_customer, set_card_active
from programs.models import LoyaltyProgram, Store
from programs.services import create_program, create_store
from tests.conftest import Loyalty
from tests.wallets.conftest import GOOGLE_ISSUER_ID, GoogleAccountFiles
from tests.wallets.google_schema import problems
from tests.wallets.google_standin import GoogleStandIn
from wallets.google import ids
from wallets.google.content import class_body, object_body
from wallets.models import WalletPass

pytestmark = pytest.mark.django_db

ID = re.compile(rf"^{GOOGLE_ISSUER_ID}\.[A-Za-z0-9._-]+$")
TRANSLATED = {"fr", "de", "lb"}


@pytest.fixture(autouse=True)
def google_on(settings: Any) -> None:
    settings.GOOGLE_WALLET_ISSUER_ID = GOOGLE_ISSUER_ID


def _class(loyalty: Loyalty, program: LoyaltyProgram) -> dict[str, Any]:
    merchant = loyalty.merchant
    return class_body(program, issuer_name=merchant.name, host=merchant.primary_host)


def _object(loyalty: Loyalty, card: LoyaltyCard) -> dict[str, Any]:
    card = LoyaltyCard.objects.select_related("program", "customer", "store").get(pk=card.pk)
    wallet_pass, _created = WalletPass.objects.get_or_create(card_id=card.pk)
    return object_body(
        card,
        object_id=ids.object_id(wallet_pass, card.program),
        class_id=ids.class_id(card.program),
        host=loyalty.merchant.primary_host,
    )


def _card(store: Store, email: str = "jane@example.com") -> LoyaltyCard:
    return enroll_customer(store_code=store.code, name="Jane", email=email).card


def _localized_ok(value: dict[str, Any], english: str | None = None) -> dict[str, str]:
    """A LocalizedString: English by default, the other languages translated; returns them."""
    default = value["defaultValue"]
    assert default["language"] == "en"
    if english is not None:
        assert default["value"] == english
    translated = {item["language"]: item["value"] for item in value["translatedValues"]}
    assert set(translated) == TRANSLATED
    assert all(translated.values())
    return translated


def test_the_class_is_one_google_accepts_under_review_in_the_merchants_name(
    loyalty: Loyalty,
) -> None:
    with schema_context(loyalty.merchant.schema_name):
        body = _class(loyalty, loyalty.stamps_program)

    assert problems("LoyaltyClass", body) == []
    assert ID.match(body["id"]), body["id"]
    assert body["reviewStatus"] == "UNDER_REVIEW"
    assert body["issuerName"] == loyalty.merchant.name
    assert body["programName"] == "Coffee Card"
    assert body["programLogo"]["sourceUri"]["uri"].startswith("https://")
    assert body["hexBackgroundColor"] == loyalty.stamps_program.card_color
    member = _localized_ok(body["localizedAccountNameLabel"], "Member")
    assert member["fr"] != "Member" or member["de"] != "Member"
    assert "merchantLocations" not in body  # the store has no coordinates


def test_a_store_with_coordinates_puts_the_class_on_the_map(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        store = create_store(
            name="Harbour", code="harbour", latitude="49.611622", longitude="6.131935"
        )
        program = create_program(store=store, loyalty_type="stamps", stamps_target=8)
        body = _class(loyalty, program)

    assert problems("LoyaltyClass", body) == []
    assert body["merchantLocations"] == [{"latitude": 49.611622, "longitude": 6.131935}]


def test_a_stamp_cards_object_shows_its_stamps_in_every_language(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        card = _card(loyalty.stamps_store)
        body = _object(loyalty, card)
        klass = _class(loyalty, loyalty.stamps_program)

    assert problems("LoyaltyObject", body) == []
    assert ID.match(body["id"]), body["id"]
    assert body["classId"] == klass["id"]
    assert body["state"] == "ACTIVE"
    assert body["accountName"] == "Jane"
    assert body["barcode"]["type"] == "QR_CODE"
    assert body["barcode"]["value"] == card.card_number
    assert body["accountId"] == body["barcode"]["alternateText"] == card.formatted_number
    stamps = body["loyaltyPoints"]
    assert stamps["label"] == "Stamps"
    assert stamps["balance"] == {"string": "0/10"}
    assert _localized_ok(stamps["localizedLabel"], "Stamps") == {
        "fr": "Tampons",
        "de": "Stempel",
        "lb": "Stempelen",
    }
    assert "secondaryLoyaltyPoints" not in body
    reward = next(m for m in body["textModulesData"] if m["id"] == "reward")
    assert reward["body"] == "A free coffee"
    translated = _localized_ok(reward["localizedHeader"], "Next reward")
    assert "Next reward" not in translated.values()
    [link] = body["linksModuleData"]["uris"]
    assert card.public_token in link["uri"]
    _localized_ok(link["localizedDescription"], "Your card online")


def test_a_points_cards_object_shows_its_points_balance(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        card = _card(loyalty.points_store)
        LoyaltyCard.objects.filter(pk=card.pk).update(points_balance=60)
        body = _object(loyalty, card)

    assert problems("LoyaltyObject", body) == []
    assert body["loyaltyPoints"]["balance"] == {"int": 60}
    translated = _localized_ok(body["loyaltyPoints"]["localizedLabel"], "Points")
    assert set(translated.values()) != {"Points"}  # at least one language says it otherwise
    reward = next(m for m in body["textModulesData"] if m["id"] == "reward")
    assert reward["body"] == "A cake"  # affordable now
    assert reward["header"] == "Reward ready"


def test_a_hybrid_cards_object_shows_stamps_first_and_points_second(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        store = create_store(name="Corner", code="corner")
        create_program(
            store=store,
            loyalty_type="hybrid",
            stamps_target=6,
            points_per_euro=2,
            points_rewards=[{"id": "mug", "name": "A mug", "points_cost": 40}],
        )
        card = _card(store)
        LoyaltyCard.objects.filter(pk=card.pk).update(stamp_count=2, points_balance=15)
        body = _object(loyalty, card)

    assert problems("LoyaltyObject", body) == []
    assert body["loyaltyPoints"]["balance"] == {"string": "2/6"}
    secondary = body["secondaryLoyaltyPoints"]
    assert secondary["label"] == "Points"
    assert secondary["balance"] == {"int": 15}
    _localized_ok(secondary["localizedLabel"], "Points")


def test_a_blocked_cards_object_is_inactive(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        card = _card(loyalty.stamps_store)
        set_card_active(card=card, active=False)
        body = _object(loyalty, card)

    assert problems("LoyaltyObject", body) == []
    assert body["state"] == "INACTIVE"


def test_ids_keep_to_the_characters_google_allows_whatever_the_schema_name(
    loyalty: Loyalty,
) -> None:
    with schema_context(loyalty.merchant.schema_name):
        card = _card(loyalty.stamps_store)
        body = _object(loyalty, card)
    assert ids.suffix("a b/c:d+é") == "a_b_c_d__"
    assert ID.match(body["id"]) and ID.match(body["classId"])
    assert body["id"] != body["classId"]


def test_the_schema_refuses_what_google_refuses() -> None:
    """The validator is not a rubber stamp: an unknown field, a wrong type, a value not listed."""
    assert problems("LoyaltyObject", {"id": "x", "colour": "red"}) == [
        "LoyaltyObject.colour: unknown field"
    ]
    assert problems("LoyaltyObject", {"loyaltyPoints": {"balance": {"int": "3"}}})
    assert problems("LoyaltyObject", {"state": "SLEEPING"})


def test_the_standin_answers_400_to_a_body_with_an_unknown_field(
    google_standin: tuple[GoogleStandIn, GoogleAccountFiles],
) -> None:
    standin, _files = google_standin
    standin.reset()
    token = httpx.post(
        standin.token_uri, data={"grant_type": "x", "assertion": "not a jwt"}, timeout=5
    )
    assert token.status_code == 400  # the token endpoint checks the grant too
    with standin.state.lock:
        standin.state.tokens.add("test-token")
    headers = {"Authorization": "Bearer test-token"}
    base = standin.url + "walletobjects/v1/loyaltyClass"
    body = {
        "id": f"{GOOGLE_ISSUER_ID}.shop-1",
        "issuerName": "Shop",
        "reviewStatus": "UNDER_REVIEW",
    }

    refused = httpx.post(base, json={**body, "colour": "red"}, headers=headers, timeout=5)
    assert refused.status_code == 400
    assert "colour: unknown field" in refused.json()["error"]["message"]
    assert standin.get("loyaltyClass", body["id"]) is None

    accepted = httpx.post(base, json=body, headers=headers, timeout=5)
    assert accepted.status_code == 200
    assert standin.get("loyaltyClass", body["id"]) == body
