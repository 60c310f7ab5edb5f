from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from programs.models import LoyaltyProgram
from programs.services import create_store
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/vendor/loyalty/programs"


def _new_store(loyalty: Loyalty, code: str = "kiosk") -> None:
    with schema_context(loyalty.merchant.schema_name):
        create_store(name="Kiosk", code=code)


def test_programmes_are_listed(loyalty: Loyalty) -> None:
    body = loyalty.api().get(URL).json()
    assert [(p["store_code"], p["loyalty_type"]) for p in body] == [
        ("bakery", "points"),
        ("main", "stamps"),
    ]
    bakery = body[0]
    assert bakery["points_per_euro"] == "1.50"
    assert bakery["points_rewards"][0] == {"id": "cake", "name": "A cake", "points_cost": 50}
    assert body[1]["cooldown_minutes"] == 15 and body[1]["max_daily_stamps"] == 5
    assert body[1]["require_staff_pin"] is True


def test_a_programme_is_created_for_a_store(loyalty: Loyalty) -> None:
    _new_store(loyalty)
    response = loyalty.api().post(
        URL,
        {
            "store_code": "kiosk",
            "loyalty_type": "hybrid",
            "card_name": "Kiosk Club",
            "stamps_target": 8,
            "points_per_euro": "2",
            "card_color": "#112233",
            "points_rewards": [{"name": "Free Drink", "points_cost": 30}],
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["loyalty_type"] == "hybrid"
    assert body["points_rewards"] == [{"id": "free-drink", "name": "Free Drink", "points_cost": 30}]
    with schema_context(loyalty.merchant.schema_name):
        assert LoyaltyProgram.objects.get(stores__code="kiosk").stamps_target == 8


def test_a_store_has_one_programme(loyalty: Loyalty) -> None:
    response = loyalty.api().post(
        URL,
        {"store_code": "main", "loyalty_type": "stamps", "card_name": "Again"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "program_exists"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"store_code": "nowhere", "loyalty_type": "stamps"}, "store_code"),
        ({"store_code": "kiosk", "loyalty_type": "coins"}, "loyalty_type"),
        ({"store_code": "kiosk", "loyalty_type": "points"}, "points_per_euro"),
        ({"store_code": "kiosk", "loyalty_type": "stamps", "stamps_target": None}, "stamps_target"),
        (
            {"store_code": "kiosk", "loyalty_type": "stamps", "cooldown_minutes": -1},
            "cooldown_minutes",
        ),
        (
            {"store_code": "kiosk", "loyalty_type": "stamps", "max_daily_stamps": 0},
            "max_daily_stamps",
        ),
        ({"store_code": "kiosk", "loyalty_type": "stamps", "card_color": "red"}, "card_color"),
        (
            {
                "store_code": "kiosk",
                "loyalty_type": "points",
                "points_per_euro": "1",
                "points_rewards": [{"name": "Cake", "points_cost": 0}],
            },
            "points_rewards",
        ),
        (
            {
                "store_code": "kiosk",
                "loyalty_type": "points",
                "points_per_euro": "1",
                "points_rewards": [
                    {"name": "Cake", "points_cost": 5},
                    {"name": "cake", "points_cost": 9},
                ],
            },
            "points_rewards",
        ),
    ],
)
def test_bad_programmes_are_refused_with_field_errors(
    loyalty: Loyalty, body: dict, field: str
) -> None:
    _new_store(loyalty)
    response = loyalty.api().post(URL, body, content_type="application/json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"], response.json()
    with schema_context(loyalty.merchant.schema_name):
        assert not LoyaltyProgram.objects.filter(stores__code="kiosk").exists()


def test_a_programme_is_changed(loyalty: Loyalty) -> None:
    url = f"{URL}/{loyalty.stamps_program.pk}"
    response = loyalty.api().patch(
        url, {"cooldown_minutes": 30, "stamps_target": 12}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["cooldown_minutes"] == 30
    assert loyalty.api().get(url).json()["stamps_target"] == 12


def test_an_invalid_change_is_refused_and_nothing_changes(loyalty: Loyalty) -> None:
    url = f"{URL}/{loyalty.stamps_program.pk}"
    response = loyalty.api().patch(
        url, {"cooldown_minutes": 30, "stamps_target": None}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "stamps_target" in response.json()["errors"]
    assert loyalty.api().get(url).json()["cooldown_minutes"] == 15


def test_a_read_only_key_cannot_write(loyalty: Loyalty) -> None:
    api = loyalty.api(loyalty.read_key)
    assert api.get(URL).status_code == 200
    response = api.patch(
        f"{URL}/{loyalty.stamps_program.pk}",
        {"cooldown_minutes": 1},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_store_key_sees_and_changes_only_its_store(loyalty: Loyalty) -> None:
    api = loyalty.api(loyalty.stamps_store_key)
    assert [p["store_code"] for p in api.get(URL).json()] == ["main"]
    assert api.get(f"{URL}/{loyalty.points_program.pk}").status_code == 404
    _new_store(loyalty)
    response = api.post(
        URL, {"store_code": "kiosk", "loyalty_type": "stamps"}, content_type="application/json"
    )
    assert response.status_code == 400


def test_an_unknown_programme_is_404(loyalty: Loyalty) -> None:
    response = loyalty.api().get(f"{URL}/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_openapi_schema_generates_without_warnings() -> None:
    out = io.StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out
    )
    schema = out.getvalue()
    for path in (
        "/api/v1/loyalty/enroll/{store_code}",
        "/api/v1/vendor/loyalty/cards",
        "/api/v1/vendor/loyalty/cards/{card_number}",
        "/api/v1/vendor/loyalty/programs",
        "/api/v1/vendor/loyalty/programs/{program_id}",
    ):
        assert f'"{path}"' in schema
    assert '"ApiKey"' in schema and '"Error"' in schema


def test_the_api_docs_are_served_without_a_cdn(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()
