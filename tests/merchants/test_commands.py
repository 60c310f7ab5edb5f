from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_exists

from merchants.models import Merchant
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings: pytest.FixtureDef, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


def _seed(*args: str) -> dict:
    out = io.StringIO()
    call_command("seed_demo", "--json", *args, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_seed_demo_prints_working_credentials_as_json_on_its_last_line() -> None:
    seeded = _seed()

    assert seeded["host"] == "demo.localhost"
    assert [store["code"] for store in seeded["stores"]] == ["main-street", "harbour", "station"]
    assert set(seeded) >= {
        "host",
        "stores",
        "staff_pins",
        "api_key",
        "admin_user",
        "admin_password",
    }
    merchant = Merchant.objects.get(schema_name="demo")
    owner = client_for(merchant)
    response = owner.post(
        "/admin/login/?next=/admin/",
        {"username": seeded["admin_user"], "password": seeded["admin_password"]},
    )
    assert response.status_code == 302
    platform = client_for(None)
    response = platform.post(
        "/admin/login/?next=/admin/",
        {"username": seeded["platform_admin_user"], "password": seeded["platform_admin_password"]},
    )
    assert response.status_code == 302
    assert "Merchants" in platform.get("/admin/").content.decode()


def test_seed_demo_run_twice_reuses_the_merchant_and_its_credentials() -> None:
    first = _seed()
    second = _seed()
    assert first == second
    assert Merchant.objects.filter(schema_name="demo").count() == 1


def test_seed_demo_takes_another_slug() -> None:
    assert _seed("--slug", "shop")["host"] == "shop.localhost"


def test_seeding_another_slug_keeps_the_platform_admin_password_printed_before() -> None:
    demo = _seed()
    shop = _seed("--slug", "shop")

    assert shop["platform_admin_password"] == demo["platform_admin_password"]
    response = client_for(None).post(
        "/admin/login/?next=/admin/",
        {"username": demo["platform_admin_user"], "password": demo["platform_admin_password"]},
    )
    assert response.status_code == 302


def test_create_merchant_command() -> None:
    out = io.StringIO()
    call_command(
        "create_merchant",
        "--name",
        "Corner Shop",
        "--slug",
        "corner",
        "--email",
        "me@corner.example",
        "--password",
        PASSWORD,
        "--json",
        stdout=out,
    )
    printed = json.loads(out.getvalue().strip().splitlines()[-1])
    assert printed["host"] == "corner.localhost"
    assert printed["admin_url"].startswith("http://corner.localhost")
    assert schema_exists("corner")


def test_create_merchant_command_reports_bad_input() -> None:
    with pytest.raises(CommandError, match="reserved"):
        call_command(
            "create_merchant",
            "--name",
            "X",
            "--slug",
            "admin",
            "--email",
            "me@x.example",
            "--password",
            PASSWORD,
        )


def test_the_seeded_key_and_pins_work_end_to_end() -> None:
    seeded = _seed()
    merchant = Merchant.objects.get(schema_name="demo")
    stamps_store = next(s for s in seeded["stores"] if s["loyalty_type"] == "stamps")
    points_store = next(s for s in seeded["stores"] if s["loyalty_type"] == "points")
    assert stamps_store["code"] == "main-street" and points_store["reward_id"]
    pins = {p["store_code"]: p for p in seeded["staff_pins"]}
    assert set(pins) == {"main-street", "harbour", "station"}

    public = client_for(merchant)
    card = public.post(
        f"/api/v1/loyalty/enroll/{stamps_store['code']}",
        {"name": "Demo", "email": "demo@example.com", "marketing_consent": False},
        content_type="application/json",
    ).json()
    api = client_for(merchant, HTTP_AUTHORIZATION=f"Bearer {seeded['api_key']}")
    pin = pins["main-street"]
    response = api.post(
        "/api/v1/vendor/loyalty/stamp",
        {"card_number": card["card_number"], "staff_pin_id": pin["id"], "pin": pin["pin"]},
        content_type="application/json",
    )
    assert response.status_code == 201
    # The station kiosk takes part in the coffee programme: a card made there is stamped at the
    # café, and the ledger says the café.
    commuter = public.post(
        "/api/v1/loyalty/enroll/station",
        {"name": "Commuter", "email": "commuter@example.com", "marketing_consent": False},
        content_type="application/json",
    ).json()
    at_the_cafe = api.post(
        "/api/v1/vendor/loyalty/stamp",
        {"card_number": commuter["card_number"], "staff_pin_id": pin["id"], "pin": pin["pin"]},
        content_type="application/json",
    )
    assert at_the_cafe.status_code == 201
    assert at_the_cafe.json()["transaction"]["store_code"] == "main-street"
    assert _seed()["staff_pins"] == seeded["staff_pins"]
