"""Inputs found by probing that ended in a 500 (or a truncated export): each now answers a 4xx
with the API's error format (SPEC §4)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import schema_context

from cards.models import Customer
from merchants.models import Merchant
from programs.models import LoyaltyProgram, Store
from programs.rules import normalise_rewards
from staff.models import ApiKey, StaffPin
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty, client_for
from tests.test_bad_input import _counts

pytestmark = pytest.mark.django_db

TRANSACTIONS = "/api/v1/vendor/loyalty/transactions"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", ["/api/v1/vendor/loyalty/stamp", "/api/v1/loyalty/enroll/main"])
@pytest.mark.parametrize("depth", [100_000, 1_000])
def test_a_deeply_nested_json_body_is_a_400(loyalty: Loyalty, path: str, depth: int) -> None:
    body = '{"name": ' + _nested(depth) + "}"
    response = loyalty.api().post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("csv", [False, True])
@pytest.mark.parametrize(
    "query",
    [
        "since=2026-01-01T00:00:00%2B16:00",
        "until=2026-01-01T00:00:00-23:59",
        "since=9999-12-31T23:59:59-15:00",
        "until=0001-01-01T00:00:00%2B01:00",
    ],
)
def test_an_instant_postgresql_cannot_compare_is_a_400(
    loyalty: Loyalty, query: str, csv: bool
) -> None:
    stamp(loyalty, new_card(loyalty))
    response = loyalty.api().get(f"{TRANSACTIONS}?{query}{'&format=csv' if csv else ''}")
    assert response.status_code == 400, response.content[:200]
    if csv:
        assert b"invalid" in response.content
    else:
        assert response.json()["code"] == "invalid"
        assert set(response.json()["errors"]) <= {"since", "until"}


def test_the_widest_offsets_postgresql_takes_still_filter(loyalty: Loyalty) -> None:
    stamp(loyalty, new_card(loyalty))
    api = loyalty.api()
    assert api.get(f"{TRANSACTIONS}?since=2000-01-01T00:00:00%2B15:59").json()["count"] == 1
    assert api.get(f"{TRANSACTIONS}?until=2000-01-01T00:00:00-15:59").json()["count"] == 0


@pytest.mark.parametrize("path", [TRANSACTIONS, "/api/v1/vendor/loyalty/cards"])
@pytest.mark.parametrize(
    "query", [f"limit={2**63}", f"limit={2**63 - 1}&offset=0", f"offset={2**63}&limit={2**63}"]
)
def test_a_huge_limit_or_offset_is_capped(loyalty: Loyalty, path: str, query: str) -> None:
    stamp(loyalty, new_card(loyalty))
    response = loyalty.api().get(f"{path}?{query}")
    assert response.status_code == 200, response.content[:200]
    body = response.json()
    assert body["count"] == 1
    assert len(body["results"]) == (0 if "offset=9" in query else 1)


# Under /api/, errors raised outside the API's views are its JSON too.

API_ERRORS = [
    ("get", "/api/v1/nope", 404, "not_found"),
    ("get", "/api/", 404, "not_found"),
    ("get", "/api/v1/vendor/loyalty/programs/abc", 404, "not_found"),
    ("get", "/api/v1/vendor/loyalty/pins/1.5", 404, "not_found"),
    ("delete", "/api/v1/vendor/loyalty/stamp", 405, "method_not_allowed"),
    ("put", "/api/v1/loyalty/enroll/main", 405, "method_not_allowed"),
    ("post", "/api/docs/", 405, "method_not_allowed"),
    ("post", "/api/schema/", 405, "method_not_allowed"),
]


def _assert_api_error(response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.content[:200])
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert body["code"] == code and body["detail"], body


@pytest.mark.parametrize(("method", "path", "status", "code"), API_ERRORS)
def test_api_errors_outside_the_views_are_json(
    loyalty: Loyalty, method: str, path: str, status: int, code: str
) -> None:
    _assert_api_error(getattr(loyalty.api(), method)(path), status, code)


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/loyalty/enroll/main"])
def test_api_paths_on_the_platform_host_and_unknown_hosts_are_json(path: str) -> None:
    _assert_api_error(client_for(None).get(path), 404, "not_found")
    _assert_api_error(Client(HTTP_HOST="nobody.localhost").get(path), 404, "not_found")


def test_pages_keep_their_html_not_found(loyalty: Loyalty) -> None:
    for client in (client_for(loyalty.merchant), client_for(None), Client(HTTP_HOST="x.localhost")):
        response = client.get("/nope/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/v1/loyalty/enroll/main", "/api/v1/vendor/loyalty/stamp"])
def test_a_body_over_the_size_limit_is_413_json(loyalty: Loyalty, path: str) -> None:
    body = json.dumps({"name": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    response = loyalty.api().post(path, body, content_type="application/json")
    _assert_api_error(response, 413, "too_large")


# Control characters (Unicode category Cc) in names are refused wherever a name is written;
# inside the name, since leading and trailing whitespace (tab, line break) is trimmed.

CONTROL = ["\u008c", "\x1b", "\x07", "\t", "\n", "\x7f"]


@pytest.mark.parametrize("char", CONTROL)
def test_a_name_with_a_control_character_is_refused_by_the_api(loyalty: Loyalty, char: str) -> None:
    api = loyalty.api()
    before = _counts(loyalty)
    program = f"/api/v1/vendor/loyalty/programs/{loyalty.points_program.pk}"
    refused = [
        (
            api.patch(program, {"card_name": f"Ca{char}fé"}, content_type="application/json"),
            "card_name",
        ),
        (
            api.patch(
                program,
                {"points_rewards": [{"name": f"Cof{char}fee", "points_cost": 5}]},
                content_type="application/json",
            ),
            "points_rewards",
        ),
        (
            api.post(
                "/api/v1/loyalty/enroll/main",
                {"name": f"Ja{char}ne", "email": "jane@example.com", "marketing_consent": False},
                content_type="application/json",
            ),
            "name",
        ),
        (
            api.post(
                "/api/v1/vendor/loyalty/pins",
                {"store_code": "main", "name": f"A{char}nn", "pin": "8642"},
                content_type="application/json",
            ),
            "name",
        ),
        (
            api.patch(
                f"/api/v1/vendor/loyalty/pins/{loyalty.stamps_pin_id}",
                {"name": f"A{char}nn"},
                content_type="application/json",
            ),
            "name",
        ),
    ]
    for response, field in refused:
        assert response.status_code == 400, (field, response.status_code, response.content)
        assert response.json()["code"] == "invalid"
        assert field in response.json()["errors"], response.json()
    assert _counts(loyalty) == before
    with schema_context(loyalty.merchant.schema_name):
        program_row = LoyaltyProgram.objects.get(pk=loyalty.points_program.pk)
    assert char not in program_row.card_name
    assert all(char not in reward["name"] for reward in program_row.points_rewards)


def test_names_in_any_script_and_with_emoji_are_still_accepted(loyalty: Loyalty) -> None:
    response = loyalty.api().patch(
        f"/api/v1/vendor/loyalty/programs/{loyalty.points_program.pk}",
        {
            "card_name": "Café Ünïcödé 東京 🙂",
            "points_rewards": [{"name": "Kaffi ☕", "points_cost": 5}],
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content


def test_a_name_with_a_control_character_is_refused_by_the_pages(loyalty: Loyalty) -> None:
    before = _counts(loyalty)
    response = client_for(loyalty.merchant).post(
        "/join/main/", {"name": "Jane\u008c", "email": "jane@example.com", "locale": "en"}
    )
    assert response.status_code == 400
    assert "Control characters are not allowed." in response.content.decode()
    response = client_for(None).post(
        "/signup/",
        {
            "name": "Bakery\x1b",
            "slug": "bakery",
            "email": "owner@bakery.example",
            "password": "a sturdy test passphrase 42",
        },
    )
    assert "Control characters are not allowed." in response.content.decode()
    assert not Merchant.objects.filter(name__startswith="Bakery").exists()
    assert _counts(loyalty) == before


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Store, "name"),
        (LoyaltyProgram, "card_name"),
        (LoyaltyProgram, "stamps_reward_description"),
        (Customer, "name"),
        (StaffPin, "name"),
        (ApiKey, "name"),
        (Merchant, "name"),
    ],
)
def test_the_models_refuse_control_characters_in_names(model: type, field: str) -> None:
    # What the back office's forms validate with.
    with pytest.raises(ValidationError) as refused:
        model._meta.get_field(field).clean("Name\u0085", None)
    assert refused.value.messages == ["Control characters are not allowed."]


def test_the_reward_list_rule_refuses_control_characters_for_every_interface() -> None:
    # The back office's reward lines go through this rule without the API's serializer.
    with pytest.raises(ValidationError) as refused:
        normalise_rewards([{"name": "Cof\u008cfee", "points_cost": 5}])
    assert refused.value.messages == ["Reward 1: a reward name cannot hold control characters."]


@pytest.mark.parametrize("host", ["merchant", "platform"])
def test_an_unknown_api_path_is_json_with_debug_on_too(
    loyalty: Loyalty, host: str, settings: pytest.FixtureRequest
) -> None:
    """`make run` serves with DEBUG on, where Django's debug page would answer an unknown path."""
    settings.DEBUG = True  # type: ignore[attr-defined]
    client = client_for(loyalty.merchant if host == "merchant" else None)

    response = client.get("/api/v1/vendor/loyalty/no-such-thing")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    # Pages keep their pages.
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
