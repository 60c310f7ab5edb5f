"""The customer pages' words and live parts: the offer sentence (join page and poster), the join
page's card preview, the privacy notice, the card page's recent activity, and the state endpoint
the open card page polls."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import translation
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from programs.models import LoyaltyProgram
from programs.offer import offer_sentence
from programs.services import create_program, create_store
from tests.cards.helpers import new_card, points, stamp
from tests.cards.test_admin import signed_in
from tests.conftest import POINTS_PIN, STAMPS_PIN, Loyalty, client_for

pytestmark = pytest.mark.django_db


def _program(loyalty: Loyalty, **fields: object) -> LoyaltyProgram:
    with schema_context(loyalty.merchant.schema_name):
        store = create_store(name="Kiosk", code="kiosk")
        program = create_program(store=store, card_name="Kiosk Card", **fields)
    connection.set_schema_to_public()
    return program


# The offer sentence

STAMPS = {
    "loyalty_type": "stamps",
    "stamps_target": 10,
    "stamps_reward_description": "A free croissant",
}
OFFERS = [
    (STAMPS, "en", "Collect 10 stamps and get a free croissant."),
    (STAMPS, "fr", "Collectionnez 10 tampons et obtenez a free croissant."),
    (
        {"loyalty_type": "stamps", "stamps_target": 1},
        "en",
        "Collect 1 stamp and get a reward.",
    ),
    (
        {"loyalty_type": "stamps", "stamps_target": 8},
        "fr",
        "Collectionnez 8 tampons et obtenez une récompense.",
    ),
    (
        {
            "loyalty_type": "points",
            "points_per_euro": Decimal("1"),
            "points_rewards": [{"id": "cake", "name": "A cake", "points_cost": 50}],
        },
        "en",
        "Earn 1 point per euro and swap them for rewards.",
    ),
    (
        {"loyalty_type": "points", "points_per_euro": Decimal("2.50")},
        "fr",
        "Gagnez 2,5 points par euro.",
    ),
    (
        {"loyalty_type": "points", "points_per_euro": Decimal("0.5")},
        "en",
        "Earn 0.5 points per euro.",
    ),
    (
        {"loyalty_type": "points", "points_per_euro": Decimal("1.5")},
        "fr",
        "Gagnez 1,5 point par euro.",
    ),
    (
        {**STAMPS, "loyalty_type": "hybrid", "points_per_euro": Decimal("1.00")},
        "en",
        "Collect 10 stamps for a free croissant and earn 1 point per euro.",
    ),
    (
        {
            "loyalty_type": "hybrid",
            "stamps_target": 6,
            "stamps_reward_description": "Croissant offert",
            "points_per_euro": Decimal("1.5"),
        },
        "fr",
        "Collectionnez 6 tampons pour croissant offert et gagnez 1,5 point par euro.",
    ),
    (
        {"loyalty_type": "hybrid", "stamps_target": 6, "points_per_euro": Decimal("3")},
        "en",
        "Collect 6 stamps for a reward and earn 3 points per euro.",
    ),
    (
        {
            "loyalty_type": "hybrid",
            "stamps_target": 6,
            "stamps_reward_description": "Gratis Kaffi",
            "points_per_euro": Decimal("1.5"),
        },
        "de",
        "Sammeln Sie 6 Stempel für Gratis Kaffi und erhalten Sie 1,5 Punkte pro Euro.",
    ),
]


@pytest.mark.parametrize(("fields", "language", "sentence"), OFFERS)
def test_the_offer_is_one_sentence_on_the_join_page_and_the_poster(
    loyalty: Loyalty, fields: dict, language: str, sentence: str
) -> None:
    program = _program(loyalty, **fields)
    with translation.override(language):
        assert offer_sentence(program) == sentence

    join = client_for(loyalty.merchant).get("/join/kiosk/", headers={"accept-language": language})
    assert f'<p class="offer">{sentence}</p>' in join.content.decode()

    owner = signed_in(loyalty.merchant)
    with schema_context(loyalty.merchant.schema_name):
        store_pk = program.stores.get().pk
    poster = owner.get(f"/admin/programs/store/{store_pk}/poster/?language={language}")
    assert poster.status_code == 200
    assert f'<p class="benefit">{sentence}</p>' in poster.content.decode()


def test_a_reward_written_with_capitals_keeps_them(loyalty: Loyalty) -> None:
    program = _program(
        loyalty, loyalty_type="stamps", stamps_target=5, stamps_reward_description="XL coffee"
    )
    with translation.override("en"):
        assert offer_sentence(program) == "Collect 5 stamps and get XL coffee."


# The join page


def test_the_join_preview_has_every_box_of_the_target_in_the_card_colour(
    loyalty: Loyalty,
) -> None:
    _program(loyalty, loyalty_type="stamps", stamps_target=8, card_color="#FFD166")
    html = client_for(loyalty.merchant).get("/join/kiosk/").content.decode()

    assert 'style="--card-color: #FFD166; --card-ink: #000000;"' in html
    preview = re.search(r'<ol class="stamps stamps-preview"([^>]*)>(.*?)</ol>', html, re.S)
    assert preview is not None
    assert "--columns: 4" in preview.group(1)  # 8 stamps: two rows of four
    assert preview.group(2).count('<li class="empty">') == 8
    assert "0 of 8 stamps" in html


def test_a_points_card_preview_has_no_stamps(loyalty: Loyalty) -> None:
    html = client_for(loyalty.merchant).get("/join/bakery/").content.decode()
    assert "stamps-preview" not in html
    assert 'style="--card-color: #0B5CAD; --card-ink: #FFFFFF;"' in html


# The privacy notice


def test_the_join_form_links_the_privacy_notice_which_names_the_merchant(
    loyalty: Loyalty,
) -> None:
    client = client_for(loyalty.merchant)
    join = client.get("/join/main/").content.decode()
    start = join.index('<form method="post" class="join-form"')
    form = join[start : join.index("</form>", start)]
    assert '<a href="/join/main/privacy/">Privacy notice</a>' in form

    notice = client.get("/join/main/privacy/")
    assert notice.status_code == 200
    html = notice.content.decode()
    assert "Alpha Shop runs this loyalty card and is responsible for your data." in html
    for words in (
        "Your name and e-mail address, and your phone number if you give it.",
        "whether you agreed to receive offers",
        "the date and time, the store and what changed",
        "Apple Wallet or Google Wallet",
        "As long as you keep your card.",
        "“Download my data” or “Erase my data”",
    ):
        assert words in html
    assert 'href="/join/main/lost/"' in html


def test_the_privacy_notice_is_translated_and_unknown_stores_have_none(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    html = client.get("/join/main/privacy/", headers={"accept-language": "fr"}).content.decode()
    assert "<h1>Politique de confidentialité</h1>" in html
    assert "Alpha Shop gère cette carte de fidélité" in html
    assert client.get("/join/nowhere/privacy/").status_code == 404


def test_the_card_page_links_the_privacy_notice(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    html = client_for(loyalty.merchant).get(f"/c/{card.public_token}/").content.decode()
    assert 'href="/join/main/privacy/"' in html


# The card page's recent activity


def test_the_card_page_lists_the_recent_visits_and_rewards(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    client = client_for(loyalty.merchant)
    html = client.get(f"/c/{card.public_token}/").content.decode()
    assert "Your stamps, points and rewards will show here." in html

    assert stamp(loyalty, card, quantity=2).status_code == 201
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyCard.objects.filter(pk=card.pk).update(stamp_count=10)
    redeemed = loyalty.api().post(
        "/api/v1/vendor/loyalty/stamps/redeem",
        {"card_number": card.card_number, "staff_pin_id": loyalty.stamps_pin_id, "pin": STAMPS_PIN},
        content_type="application/json",
    )
    assert redeemed.status_code == 201, redeemed.content

    html = client.get(f"/c/{card.public_token}/").content.decode()
    sentences = re.findall(r'<span class="activity-sentence">([^<]*)</span>', html)
    assert sentences == ["Reward: A free coffee", "+2 stamps at Main Street"]
    # A reward's line says where; a stamp's sentence already does.
    assert re.search(r"</time> · Main Street</span>", html)

    french = client.get(
        f"/c/{card.public_token}/", headers={"cookie": "django_language=fr"}
    ).content.decode()
    sentences = re.findall(r'<span class="activity-sentence">([^<]*)</span>', french)
    assert sentences == ["Récompense\u00a0: A free coffee", "+2 tampons à Main Street"]


def test_points_lines_have_their_plurals(loyalty: Loyalty) -> None:
    card = new_card(loyalty, "bakery")
    assert points(loyalty, card, 4000).status_code == 201  # 1.5 a euro: 60 points
    redeemed = loyalty.api().post(
        "/api/v1/vendor/loyalty/points/redeem",
        {
            "card_number": card.card_number,
            "reward_id": "cake",
            "staff_pin_id": loyalty.points_pin_id,
            "pin": POINTS_PIN,
        },
        content_type="application/json",
    )
    assert redeemed.status_code == 201, redeemed.content
    assert points(loyalty, card, 100).status_code == 201  # 1 point

    client = client_for(loyalty.merchant)
    html = client.get(f"/c/{card.public_token}/").content.decode()
    assert re.findall(r'<span class="activity-sentence">([^<]*)</span>', html) == [
        "+1 point at Bakery",
        "Reward: A cake (50 points)",
        "+60 points at Bakery",
    ]
    german = client.get(
        f"/c/{card.public_token}/", headers={"cookie": "django_language=de"}
    ).content.decode()
    assert re.findall(r'<span class="activity-sentence">([^<]*)</span>', german) == [
        "+1 Punkt bei Bakery",
        "Prämie: A cake (50 Punkte)",
        "+60 Punkte bei Bakery",
    ]


# The state endpoint the open card page polls


def test_the_state_answers_304_while_the_card_is_unchanged_and_the_new_parts_after_a_stamp(
    loyalty: Loyalty,
) -> None:
    card = new_card(loyalty)
    client = client_for(loyalty.merchant)
    page = client.get(f"/c/{card.public_token}/")
    etag = re.search(r'data-live-etag="([^"]*)"', page.content.decode()).group(1)
    etag = etag.replace("&quot;", '"')
    state_url = re.search(r'data-live-url="([^"]*)"', page.content.decode()).group(1)
    assert state_url == f"/c/{card.public_token}/state/"

    unchanged = client.get(state_url, headers={"if-none-match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    assert unchanged["Cache-Control"] == "private, no-store"
    assert unchanged["X-Robots-Tag"] == "noindex"

    assert stamp(loyalty, card).status_code == 201
    changed = client.get(state_url, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed["Cache-Control"] == "private, no-store"
    assert changed["X-Robots-Tag"] == "noindex"
    html = changed.content.decode()
    assert "1 of 10 stamps" in html
    assert html.count('class="filled"') == 1
    assert "+1 stamp at Main Street" in html
    for part in ("card", "banners", "activity", "rewards"):
        assert f'data-live-part="{part}"' in html

    again = client.get(state_url, headers={"if-none-match": changed["ETag"]})
    assert again.status_code == 304


def test_the_state_needs_the_exact_token(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    client = client_for(loyalty.merchant)
    assert client.get(f"/c/{card.public_token[:-4]}xxxx/state/").status_code == 404
    assert client.get(f"/c/{card.public_token}/state/").status_code == 200
    assert client.post(f"/c/{card.public_token}/state/").status_code == 405


def test_the_state_speaks_the_page_language(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    client = client_for(loyalty.merchant)
    english = client.get(f"/c/{card.public_token}/state/")
    french = client.get(f"/c/{card.public_token}/state/", headers={"cookie": "django_language=fr"})
    assert "0 of 10 stamps" in english.content.decode()
    assert "Tampons" in french.content.decode()
    # Different words, so a different version: a page switched to French gets the French parts.
    assert english["ETag"] != french["ETag"]


def test_an_unchanged_state_costs_one_select_and_its_token_stays_out_of_the_logs(
    loyalty: Loyalty, django_assert_num_queries
) -> None:
    from common.log_redaction import redact

    card = new_card(loyalty)
    client = client_for(loyalty.merchant)
    first = client.get(f"/c/{card.public_token}/state/")
    # The merchant's search_path, then the card with its customer, programme and store.
    with django_assert_num_queries(2):
        unchanged = client.get(
            f"/c/{card.public_token}/state/", headers={"if-none-match": first["ETag"]}
        )
    assert unchanged.status_code == 304
    line = f'"GET /c/{card.public_token}/state/ HTTP/1.1" 304 0'
    assert card.public_token not in redact(line)
