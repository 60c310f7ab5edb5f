"""A programme's rules say the same wherever a programme is written: the back office, the API
and the model refuse the same values with the same words (the rules live in programs.rules)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from programs.models import LoyaltyProgram, Store
from programs.rules import (
    COOLDOWN_MINUTES,
    MAX_DAILY_STAMPS,
    POINTS_EXPIRATION_DAYS,
    POINTS_PER_EURO,
    STAMPS_TARGET,
)
from programs.services import create_store
from tests.conftest import Loyalty
from tests.programs.test_admin import program_form, signed_in

pytestmark = pytest.mark.django_db

API_URL = "/api/v1/vendor/loyalty/programs"
ADMIN_ADD_URL = "/admin/programs/loyaltyprogram/add/"


@pytest.fixture(autouse=True)
def _language_back_to_default() -> Iterator[None]:
    yield
    # The locale middleware leaves the last request's language active in this thread.
    translation.activate(settings.LANGUAGE_CODE)


def _kiosk(loyalty: Loyalty) -> Store:
    with schema_context(loyalty.merchant.schema_name):
        return create_store(name="Kiosk", code="kiosk")


def _admin_errors(client: Client, data: dict[str, Any], language: str) -> dict[str, list[str]]:
    response = client.post(ADMIN_ADD_URL, data, headers={"accept-language": language})
    assert response.status_code == 200, "the form comes back with its errors"
    return response.context["adminform"].form.errors


def _api_errors(loyalty: Loyalty, body: dict[str, Any], language: str) -> dict[str, list[str]]:
    response = loyalty.api().post(
        API_URL, body, content_type="application/json", headers={"accept-language": language}
    )
    assert response.status_code == 400, response.json()
    return response.json()["errors"]


# Rewards: the back office reads lines, the API reads JSON; normalise_rewards judges the list.

BAD_REWARD_LISTS = {
    "a reward for nothing": (
        [{"name": "Cake", "points_cost": 50}, {"name": "Nothing", "points_cost": 0}],
        2,
        {
            "en": "a reward must cost at least 1 point.",
            "fr": "une récompense doit coûter au moins 1 point.",
        },
    ),
    "the same name twice": (
        [{"name": "Cake", "points_cost": 5}, {"name": "cake", "points_cost": 9}],
        2,
        {
            "en": "“cake” is already in the list.",
            "fr": "« cake » figure déjà dans la liste.",
        },
    ),
    "a name too long": (
        [{"name": "x" * 201, "points_cost": 5}],
        1,
        {
            "en": "keep the reward name under 200 characters.",
            "fr": "le nom de la récompense ne doit pas dépasser 200 caractères.",
        },
    ),
}
LOCATORS = {"en": ("Line {}: ", "Reward {}: "), "fr": ("Ligne {} : ", "Récompense {} : ")}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("case", BAD_REWARD_LISTS)
def test_the_admin_the_api_and_the_model_refuse_a_bad_reward_list_alike(
    loyalty: Loyalty, case: str, language: str
) -> None:
    rewards, position, problems = BAD_REWARD_LISTS[case]
    problem = problems[language]
    # The admin counts lines, the API and the model count rewards: here both are the position.
    line, reward = (locator.format(position) for locator in LOCATORS[language])
    store = _kiosk(loyalty)
    lines = "\n".join(f"{reward['points_cost']} {reward['name']}" for reward in rewards)

    admin = _admin_errors(
        signed_in(loyalty.merchant),
        program_form(store, loyalty_type="points", points_per_euro="1", points_rewards=lines),
        language,
    )
    api = _api_errors(
        loyalty,
        {
            "store_code": "kiosk",
            "loyalty_type": "points",
            "points_per_euro": "1",
            "points_rewards": rewards,
        },
        language,
    )

    assert admin["points_rewards"] == [line + problem]
    assert api["points_rewards"] == [reward + problem]
    if language == "en":
        program = LoyaltyProgram(loyalty_type="points", points_per_euro=1, points_rewards=rewards)
        with pytest.raises(ValidationError) as refused:
            program.clean()
        assert refused.value.message_dict["points_rewards"] == [reward + problem]
    with schema_context(loyalty.merchant.schema_name):
        assert not LoyaltyProgram.objects.filter(stores=store).exists()


# Limits: one value per bound, just beyond it, worked out from programs.rules. Editing a limit
# there moves the admin, the API and the model together, and this test with them.

CENT = Decimal("0.01")
BEYOND_LIMITS = [
    ("max_daily_stamps", MAX_DAILY_STAMPS.max + 1, "max"),
    ("max_daily_stamps", MAX_DAILY_STAMPS.min - 1, "min"),
    ("stamps_target", STAMPS_TARGET.max + 1, "max"),
    ("stamps_target", STAMPS_TARGET.min - 1, "min"),
    ("cooldown_minutes", COOLDOWN_MINUTES.max + 1, "max"),
    ("points_per_euro", POINTS_PER_EURO.min - CENT, "min"),
    ("points_expiration_days", POINTS_EXPIRATION_DAYS.min - 1, "min"),
    ("points_expiration_days", POINTS_EXPIRATION_DAYS.max + 1, "max"),
]
MESSAGES = {
    ("en", "max"): "Ensure this value is less than or equal to {}.",
    ("en", "min"): "Ensure this value is greater than or equal to {}.",
    # Django's German, not DRF's ("Stelle sicher, dass …"): the API uses the same validators.
    ("de", "max"): "Dieser Wert muss kleiner oder gleich {} sein.",
    ("de", "min"): "Dieser Wert muss größer oder gleich {} sein.",
}
LIMITS = {
    "max_daily_stamps": MAX_DAILY_STAMPS,
    "stamps_target": STAMPS_TARGET,
    "cooldown_minutes": COOLDOWN_MINUTES,
    "points_per_euro": POINTS_PER_EURO,
    "points_expiration_days": POINTS_EXPIRATION_DAYS,
}


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(("field", "value", "bound"), BEYOND_LIMITS)
def test_the_admin_and_the_api_refuse_a_setting_beyond_its_limit_alike(
    loyalty: Loyalty, field: str, value: Any, bound: str, language: str
) -> None:
    store = _kiosk(loyalty)
    limit = getattr(LIMITS[field], bound)
    message = MESSAGES[(language, bound)].format(limit)

    values = {"loyalty_type": "hybrid", "points_per_euro": "1", field: str(value)}

    admin = _admin_errors(signed_in(loyalty.merchant), program_form(store, **values), language)
    api = _api_errors(loyalty, {"store_code": "kiosk", **values}, language)

    # The form may add the model's own say after it (a points card without a rate).
    assert admin[field][0] == message
    assert api[field] == [message]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_admin_and_the_api_refuse_a_bad_colour_alike(loyalty: Loyalty, language: str) -> None:
    store = _kiosk(loyalty)
    message = {
        "en": "Use a colour like #1A73E8.",
        "de": "Verwenden Sie eine Farbe im Format #1A73E8.",
    }

    admin = _admin_errors(
        signed_in(loyalty.merchant), program_form(store, card_color="blue"), language
    )
    api = _api_errors(
        loyalty, {"store_code": "kiosk", "loyalty_type": "stamps", "card_color": "blue"}, language
    )

    assert admin["card_color"] == api["card_color"] == [message[language]]


@pytest.mark.parametrize(
    ("field", "limit", "message"),
    [
        ("max_daily_stamps", MAX_DAILY_STAMPS, "A card can get {min} to {max} stamps per day."),
        ("stamps_target", STAMPS_TARGET, "A reward takes {min} to {max} stamps."),
        (
            "points_expiration_days",
            POINTS_EXPIRATION_DAYS,
            "Points can expire after {min} to {max} days without activity.",
        ),
    ],
)
def test_the_database_constraints_hold_the_same_limits(
    loyalty: Loyalty, field: str, limit: Any, message: str
) -> None:
    at_the_limit = LoyaltyProgram(card_name="Kiosk", **{field: limit.max})
    beyond = LoyaltyProgram(card_name="Kiosk", **{field: limit.max + 1})

    with schema_context(loyalty.merchant.schema_name):
        at_the_limit.validate_constraints()
        with pytest.raises(ValidationError) as refused:
            beyond.validate_constraints()

    assert refused.value.messages == [message.format(min=limit.min, max=limit.max)]
