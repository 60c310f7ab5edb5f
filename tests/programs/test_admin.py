"""The merchant's back office for stores (QR code, poster) and loyalty programmes."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import modelform_factory
from django.test import Client
from django_tenants.utils import schema_context
from PIL import Image

from common.urls import absolute_url
from merchants.models import Merchant
from programs.models import LoyaltyProgram, Store
from programs.services import create_program
from tests.conftest import PASSWORD, client_for
from tests.programs.factories import StoreFactory

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def signed_in(merchant: Merchant, username: str | None = None) -> Client:
    client = client_for(merchant)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username or f"owner@{merchant.slug}.example", "password": PASSWORD},
    )
    assert response.status_code == 302, "the user signs in on their own host"
    return client


def make_store(merchant: Merchant, **fields: Any) -> Store:
    with schema_context(merchant.schema_name):
        return StoreFactory(**fields)


def join_url(merchant: Merchant, store: Store) -> str:
    return absolute_url(merchant.primary_host, f"/join/{store.code}/")


def program_form(store: Store | None, **overrides: Any) -> dict[str, Any]:
    data = {
        "loyalty_type": "stamps",
        "stamps_target": "10",
        "stamps_reward_description": "A free coffee",
        "points_per_euro": "",
        "points_rewards": "",
        "points_expiration_days": "",
        "cooldown_minutes": "15",
        "max_daily_stamps": "5",
        "require_staff_pin": "on",
        "card_name": "Coffee club",
        "card_color": "#1a73e8",
        "logo_url": "",
        "google_issuer_id": "",
        "apple_pass_type_id": "",
        "is_active": "on",
        "_save": "Save",
    }
    if store is not None:
        data["stores"] = [str(store.pk)]
    data.update(overrides)
    return data


# Stores: QR code and poster


def test_store_page_links_to_the_poster_and_the_qr_downloads(merchant: Merchant) -> None:
    store = make_store(merchant, name="Main Street", code="main-street")
    page = signed_in(merchant).get(f"/admin/programs/store/{store.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/admin/programs/store/{store.pk}/poster/"' in html
    assert f'href="/admin/programs/store/{store.pk}/qr.png"' in html
    assert f'href="/admin/programs/store/{store.pk}/qr.svg"' in html
    assert join_url(merchant, store) in html
    assert "<svg" in html, "a preview of the code is on the page"


def test_store_qr_png_is_a_download_of_a_png(merchant: Merchant) -> None:
    store = make_store(merchant, code="main-street")
    response = signed_in(merchant).get(f"/admin/programs/store/{store.pk}/qr.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="store-main-street-qr.png"'
    assert response.content.startswith(PNG_SIGNATURE)


def test_store_qr_svg_is_an_svg_titled_with_the_store(merchant: Merchant) -> None:
    store = make_store(merchant, name="Main <Street>", code="main-street")
    response = signed_in(merchant).get(f"/admin/programs/store/{store.pk}/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.lstrip().startswith("<svg")
    assert "<title>Main &lt;Street&gt;</title>" in svg


def test_poster_is_a_printable_a4_page_with_the_code_and_the_link(merchant: Merchant) -> None:
    store = make_store(merchant, name="Main Street", code="main-street")
    with schema_context(merchant.schema_name):
        create_program(
            store=store,
            loyalty_type="stamps",
            stamps_target=8,
            card_name="Bean club",
            card_color="#FFD600",
        )
    response = signed_in(merchant).get(f"/admin/programs/store/{store.pk}/poster/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "size: A4" in html
    assert "<svg" in html and 'viewBox="0 0' in html, "the code scales to the page"
    url = join_url(merchant, store)
    assert url in html
    assert url.split("://", 1)[1] in html, "the short link is printed under the code"
    assert "Bean club" in html and "Main Street" in html
    assert "background: #FFD600; color: #000000;" in html, "dark text on a light card colour"
    assert "Collect 8 stamps and get a reward." in html
    # The print button (wired by a static script: the Content-Security-Policy refuses onclick).
    assert "data-print" in html and "backoffice/tools.js" in html and "no-print" in html


def test_poster_speaks_the_customers_language_on_request(merchant: Merchant) -> None:
    store = make_store(merchant)
    response = signed_in(merchant).get(f"/admin/programs/store/{store.pk}/poster/?language=fr")

    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()


def test_poster_warns_when_the_store_takes_no_members(merchant: Merchant) -> None:
    store = make_store(merchant)  # no programme yet
    response = signed_in(merchant).get(f"/admin/programs/store/{store.pk}/poster/")

    assert "is not taking new members right now" in response.content.decode()


@pytest.mark.parametrize("suffix", ["qr.png", "qr.svg", "poster/"])
def test_another_merchants_owner_cannot_reach_a_stores_qr(
    merchant: Merchant, other_merchant: Merchant, suffix: str
) -> None:
    store = make_store(merchant, code="secret-store")
    url = f"/admin/programs/store/{store.pk}/{suffix}"

    on_their_host = signed_in(other_merchant).get(url)
    assert on_their_host.status_code == 404
    assert b"secret-store" not in on_their_host.content

    # Their session means nothing on this merchant's host.
    intruder = client_for(merchant)
    intruder.cookies["sessionid"] = signed_in(other_merchant).cookies["sessionid"].value
    on_this_host = intruder.get(url)
    assert on_this_host.status_code == 302
    assert on_this_host["Location"].startswith("/admin/login/")


def test_staff_without_permission_on_stores_cannot_get_the_qr(merchant: Merchant) -> None:
    store = make_store(merchant)
    with schema_context(merchant.schema_name):
        get_user_model().objects.create_user(
            username="cashier@alpha.example", password=PASSWORD, is_staff=True
        )
    client = signed_in(merchant, "cashier@alpha.example")

    assert client.get(f"/admin/programs/store/{store.pk}/qr.png").status_code == 403
    assert client.get(f"/admin/programs/store/{store.pk}/poster/").status_code == 403


def test_staff_who_may_view_stores_get_the_poster(merchant: Merchant) -> None:
    store = make_store(merchant)
    with schema_context(merchant.schema_name):
        user = get_user_model().objects.create_user(
            username="manager@alpha.example", password=PASSWORD, is_staff=True
        )
        user.user_permissions.add(Permission.objects.get(codename="view_store"))
    client = signed_in(merchant, "manager@alpha.example")

    assert client.get(f"/admin/programs/store/{store.pk}/poster/").status_code == 200


def test_unknown_store_is_a_404(merchant: Merchant) -> None:
    assert signed_in(merchant).get("/admin/programs/store/999999/qr.png").status_code == 404


# Programmes


def test_program_form_has_grouped_fieldsets_and_a_colour_picker(merchant: Merchant) -> None:
    make_store(merchant)
    page = signed_in(merchant).get("/admin/programs/loyaltyprogram/add/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="color"' in html and 'name="card_color"' in html
    assert 'type="file"' in html and 'name="logo"' in html
    assert 'enctype="multipart/form-data"' in html
    for heading in [
        "Stores and type",
        "Stamps",
        "Points",
        "Anti-fraud",
        "Branding",
        "Wallets",
        "Status",
    ]:
        assert re.search(rf">\s*{heading}\s*(<[^h]|</h2>)", html), heading
    assert '<textarea name="points_rewards"' in html


def test_add_form_offers_only_stores_without_a_programme(merchant: Merchant) -> None:
    taken = make_store(merchant, name="Has one")
    free = make_store(merchant, name="Has none")
    with schema_context(merchant.schema_name):
        create_program(store=taken, loyalty_type="stamps")
    html = signed_in(merchant).get("/admin/programs/loyaltyprogram/add/").content.decode()

    assert f'name="stores" value="{free.pk}"' in html
    assert "Has none" in html
    assert "Has one" not in html


def test_creating_a_points_programme_turns_reward_lines_into_rewards(merchant: Merchant) -> None:
    store = make_store(merchant)
    response = signed_in(merchant).post(
        "/admin/programs/loyaltyprogram/add/",
        program_form(
            store,
            loyalty_type="points",
            stamps_target="",
            points_per_euro="1.5",
            points_rewards="50 Free coffee\n\n120 Cake\n",
        ),
    )

    assert response.status_code == 302, response.content.decode()
    with schema_context(merchant.schema_name):
        program = LoyaltyProgram.objects.get(stores=store)
    assert program.points_rewards == [
        {"id": "free-coffee", "name": "Free coffee", "points_cost": 50},
        {"id": "cake", "name": "Cake", "points_cost": 120},
    ]
    assert program.card_color == "#1a73e8"
    assert str(program.points_per_euro) == "1.50"


def test_editing_rewards_keeps_the_ids_of_rewards_that_keep_their_name(merchant: Merchant) -> None:
    store = make_store(merchant)
    with schema_context(merchant.schema_name):
        program = create_program(
            store=store,
            loyalty_type="points",
            stamps_target=None,
            points_per_euro=1,
            points_rewards=[{"id": "coffee", "name": "Free coffee", "points_cost": 50}],
        )
    client = signed_in(merchant)
    page = client.get(f"/admin/programs/loyaltyprogram/{program.pk}/change/").content.decode()
    assert "50 Free coffee</textarea>" in page, "rewards are shown as lines"
    assert "<code>coffee</code>" in page, "the IDs integrators use are shown"

    response = client.post(
        f"/admin/programs/loyaltyprogram/{program.pk}/change/",
        program_form(
            store,
            loyalty_type="points",
            stamps_target="",
            points_per_euro="1",
            points_rewards="60 Free coffee\n200 Lunch",
            card_name="Points club",
        ),
    )

    assert response.status_code == 302, response.content.decode()
    with schema_context(merchant.schema_name):
        program.refresh_from_db()
    assert program.points_rewards == [
        {"id": "coffee", "name": "Free coffee", "points_cost": 60},
        {"id": "lunch", "name": "Lunch", "points_cost": 200},
    ]
    assert program.card_name == "Points club"


def test_a_bad_reward_line_is_refused_naming_the_line(merchant: Merchant) -> None:
    store = make_store(merchant)
    response = signed_in(merchant).post(
        "/admin/programs/loyaltyprogram/add/",
        program_form(
            store,
            loyalty_type="points",
            points_per_euro="1",
            points_rewards="50 Free coffee\nCake for 120\n0 Nothing",
        ),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Line 2: write the points first, then the reward, e.g. “50 Free coffee”." in html
    assert "Line 3: a reward must cost at least 1 point." in html
    assert "Cake for 120" in html, "what the merchant typed is kept"
    with schema_context(merchant.schema_name):
        assert not LoyaltyProgram.objects.exists()


def test_a_reward_listed_twice_is_refused(merchant: Merchant) -> None:
    store = make_store(merchant)
    response = signed_in(merchant).post(
        "/admin/programs/loyaltyprogram/add/",
        program_form(
            store, loyalty_type="hybrid", points_per_euro="1", points_rewards="50 Cake\n70 cake"
        ),
    )

    assert "Line 2: “cake” is already in the list." in response.content.decode()


def test_a_stamp_card_without_a_target_gets_the_models_message(merchant: Merchant) -> None:
    store = make_store(merchant)
    response = signed_in(merchant).post(
        "/admin/programs/loyaltyprogram/add/", program_form(store, stamps_target="")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "A stamp card needs the number of stamps for a reward." in html
    assert "Constraint" not in html, "no database constraint name reaches the merchant"


def test_a_points_card_without_a_rate_gets_the_models_message(merchant: Merchant) -> None:
    store = make_store(merchant)
    response = signed_in(merchant).post(
        "/admin/programs/loyaltyprogram/add/",
        program_form(store, loyalty_type="points", points_per_euro=""),
    )

    assert "A points card needs how many points a euro earns." in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("points_per_euro", "-1", "Ensure this value is greater than or equal to 0.01."),
        ("max_daily_stamps", "0", "Ensure this value is greater than or equal to 1."),
        ("cooldown_minutes", "2000", "Ensure this value is less than or equal to 1440."),
        ("card_color", "blue", "Use a colour like #1A73E8."),
    ],
)
def test_out_of_range_settings_get_a_message_not_a_constraint_name(
    merchant: Merchant, field: str, value: str, message: str
) -> None:
    store = make_store(merchant)
    response = signed_in(merchant).post(
        "/admin/programs/loyaltyprogram/add/",
        program_form(store, **{"loyalty_type": "hybrid", "points_per_euro": "1", field: value}),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "Constraint" not in html


def test_program_list_shows_store_type_and_status(merchant: Merchant) -> None:
    store = make_store(merchant, name="Main Street")
    with schema_context(merchant.schema_name):
        create_program(store=store, loyalty_type="hybrid", points_per_euro=2, card_name="Club card")
    client = signed_in(merchant)
    html = client.get("/admin/programs/loyaltyprogram/").content.decode()

    assert "Club card" in html and "Main Street" in html and "Stamps and points" in html
    filtered = client.get("/admin/programs/loyaltyprogram/?loyalty_type__exact=points")
    assert "Club card" not in filtered.content.decode()


def test_programmes_cannot_be_deleted_from_the_back_office(merchant: Merchant) -> None:
    store = make_store(merchant)
    with schema_context(merchant.schema_name):
        program = create_program(store=store, loyalty_type="stamps")
    client = signed_in(merchant)

    assert client.get(f"/admin/programs/loyaltyprogram/{program.pk}/delete/").status_code == 403


def test_a_logo_can_be_uploaded(merchant: Merchant, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    store = make_store(merchant)
    image = io.BytesIO()
    Image.new("RGB", (32, 32), "#c00").save(image, format="PNG")
    logo = SimpleUploadedFile("logo.png", image.getvalue(), content_type="image/png")

    response = signed_in(merchant).post(
        "/admin/programs/loyaltyprogram/add/", program_form(store, logo=logo)
    )

    assert response.status_code == 302, response.content.decode()
    with schema_context(merchant.schema_name):
        program = LoyaltyProgram.objects.get(stores=store)
    # Under the merchant's folder, re-encoded as PNG (tests/programs/test_logos.py): same pixels.
    assert program.logo.name.startswith(f"{merchant.schema_name}/logos/program-")
    with Image.open(tmp_path / program.logo.name) as stored:
        assert (stored.format, stored.size) == ("PNG", (32, 32))
        assert stored.convert("RGB").getpixel((0, 0)) == (204, 0, 0)


def test_a_file_that_is_not_an_image_is_refused_as_logo(merchant: Merchant) -> None:
    store = make_store(merchant)
    logo = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")

    response = signed_in(merchant).post(
        "/admin/programs/loyaltyprogram/add/", program_form(store, logo=logo)
    )

    assert response.status_code == 200
    assert "Upload a valid image." in response.content.decode()


def test_a_logo_can_be_removed(merchant: Merchant, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    store = make_store(merchant)
    client = signed_in(merchant)
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, format="PNG")
    client.post(
        "/admin/programs/loyaltyprogram/add/",
        program_form(store, logo=SimpleUploadedFile("logo.png", image.getvalue())),
    )
    with schema_context(merchant.schema_name):
        program = LoyaltyProgram.objects.get(stores=store)
    assert program.logo

    response = client.post(
        f"/admin/programs/loyaltyprogram/{program.pk}/change/",
        program_form(store, **{"logo-clear": "on"}),
    )

    assert response.status_code == 302, response.content.decode()
    with schema_context(merchant.schema_name):
        program.refresh_from_db()
    assert not program.logo


def test_saving_an_untouched_programme_changes_nothing(merchant: Merchant) -> None:
    store = make_store(merchant)
    with schema_context(merchant.schema_name):
        program = create_program(
            store=store,
            loyalty_type="hybrid",
            points_per_euro=1,
            card_name="Club",
            card_color="#0B5CAD",
            points_rewards=[{"id": "coffee", "name": "Free coffee", "points_cost": 50}],
        )
    client = signed_in(merchant)

    # What a browser sends back: the colour picker's lower-case value, the rewards as lines.
    response = client.post(
        f"/admin/programs/loyaltyprogram/{program.pk}/change/",
        program_form(
            store,
            loyalty_type="hybrid",
            points_per_euro="1.00",
            card_name="Club",
            card_color="#0b5cad",
            stamps_reward_description="",
            points_rewards="50 Free coffee",
        ),
    )

    assert response.status_code == 302, response.content.decode()
    with schema_context(merchant.schema_name):
        entry = LogEntry.objects.get(object_id=str(program.pk))
        program.refresh_from_db()
    assert entry.get_change_message() == "No fields changed."
    assert program.points_rewards == [{"id": "coffee", "name": "Free coffee", "points_cost": 50}]


def test_the_models_errors_survive_any_model_form(merchant: Merchant) -> None:
    """Their own codes: a form field's "required" message cannot replace them."""
    form_class = modelform_factory(
        LoyaltyProgram, fields=["loyalty_type", "stamps_target", "points_per_euro"]
    )
    with schema_context(merchant.schema_name):
        form = form_class(
            {
                "loyalty_type": "hybrid",
                "stamps_target": "",
                "points_per_euro": "",
            }
        )
        assert not form.is_valid()

    assert form.errors == {
        "stamps_target": ["A stamp card needs the number of stamps for a reward."],
        "points_per_euro": ["A points card needs how many points a euro earns."],
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cooldown_minutes": 2000}, "The time between two stamps can be at most a day."),
        ({"max_daily_stamps": 0}, "A card can get 1 to 100 stamps per day."),
        ({"stamps_target": 0}, "A reward takes 1 to 100 stamps."),
        ({"points_per_euro": Decimal("0")}, "A euro must earn more than 0 points."),
        ({"stamps_target": None}, "A stamp card needs the number of stamps for a reward."),
        (
            {"loyalty_type": "points", "points_per_euro": None},
            "A points card needs how many points a euro earns.",
        ),
        ({"card_color": "blue"}, "Use a colour like #1A73E8."),
    ],
)
def test_every_programme_constraint_speaks_to_the_merchant(
    merchant: Merchant, fields: dict[str, Any], message: str
) -> None:
    program = LoyaltyProgram(card_name="Bean club", **fields)

    with schema_context(merchant.schema_name), pytest.raises(ValidationError) as raised:
        program.validate_constraints()

    assert raised.value.messages == [message]
