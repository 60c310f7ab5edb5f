"""A programme's limits, its colour format and its reward list, each written once.

The model's constraints and validators, the back office's form and the API's serializers all read
them here, so a limit changes in one edit (and ``makemigrations`` carries it to the database's
CHECK constraints) and a bad value is refused with the same message wherever it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import (
    BaseValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.utils.functional import lazy
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.validators import has_control_characters

# Colours

DEFAULT_CARD_COLOR = "#0B5CAD"
CARD_COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
CARD_COLOR_MESSAGE = _("Use a colour like #1A73E8.")
card_color_validator = RegexValidator(CARD_COLOR_PATTERN, CARD_COLOR_MESSAGE, code="invalid_color")


# Limits


@dataclass(frozen=True)
class Limit:
    """The bounds of a numeric setting, both inclusive; None where there is none."""

    min: int | Decimal | None = None
    max: int | Decimal | None = None

    def validators(self) -> list[BaseValidator]:
        # Django's validators, also in the API's serializers: the same words in every language.
        validators: list[BaseValidator] = []
        if self.min is not None:
            validators.append(MinValueValidator(self.min))
        if self.max is not None:
            validators.append(MaxValueValidator(self.max))
        return validators

    def widget_attrs(self) -> dict[str, str]:
        """``min`` and ``max`` for a number input, so the browser says it before the server."""
        bounds = {"min": self.min, "max": self.max}
        return {name: str(value) for name, value in bounds.items() if value is not None}


STAMPS_TARGET = Limit(1, 100)
MAX_DAILY_STAMPS = Limit(1, 100)
# A day at most: the constraint's message says so.
COOLDOWN_MINUTES = Limit(0, 24 * 60)
# More than 0 points a euro (the database's constraint): at the rate's two decimal places, that
# is 0.01 or more.
POINTS_PER_EURO = Limit(Decimal("0.01"))
# Ten years at most: the nightly expiry computes "now minus this many days", and a date before
# year 1 failed the whole night's run (2,147,483,647 days used to be accepted).
POINTS_EXPIRATION_DAYS = Limit(1, 3650)

PROGRAM_LIMITS: dict[str, Limit] = {
    "stamps_target": STAMPS_TARGET,
    "cooldown_minutes": COOLDOWN_MINUTES,
    "max_daily_stamps": MAX_DAILY_STAMPS,
    "points_per_euro": POINTS_PER_EURO,
    "points_expiration_days": POINTS_EXPIRATION_DAYS,
}


def _range_message(message: str, limit: Limit) -> str:
    return str(message) % {"min": limit.min, "max": limit.max}


# Translated when shown, with the bounds of the limit it describes.
range_message = lazy(_range_message, str)


# Rewards

REWARD_NAME_MAX_LENGTH = 200
REWARD_ID_MAX_LENGTH = 40
REWARD_ID_PATTERN = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{REWARD_ID_MAX_LENGTH - 1}}}")


def new_reward_id(name: str, taken: Collection[str]) -> str:
    """An ID for a reward called ``name``, none of ``taken``: "Free coffee" → "free-coffee"."""
    # Room for a suffix ("-2") within the ID's length.
    base = slugify(name).replace("_", "-")[: REWARD_ID_MAX_LENGTH - 4].strip("-") or "reward"
    reward_id, suffix = base, 2
    while reward_id in taken:
        reward_id, suffix = f"{base}-{suffix}", suffix + 1
    return reward_id


def normalise_rewards(
    rewards: object,
    *,
    labels: Sequence[str] | None = None,
    reserved_ids: Collection[str] = (),
) -> list[dict]:
    """Check a points reward list and return it as ``[{id, name, points_cost}]``.

    The one rule for a reward list, whoever sends it: the API, the back office or code. Every
    problem is reported, each located by ``labels`` (the back office's "Line 3"), by default
    "Reward 3". A reward sent without an ID gets one made from its name, never one of
    ``reserved_ids`` (IDs of rewards being replaced, which recorded redemptions may still name).
    """
    if rewards in (None, ""):
        return []
    if not isinstance(rewards, list):
        raise ValidationError(_("Rewards must be a list."), code="invalid")

    errors: list[ValidationError] = []

    def refuse(position: int, message: str, code: str, **params: object) -> None:
        label = labels[position - 1] if labels else gettext("Reward %(n)s") % {"n": position}
        errors.append(
            ValidationError(message, code=code, params={"reward": label, "n": position, **params})
        )

    given_ids = {
        str(reward.get("id")).strip()
        for reward in rewards
        if isinstance(reward, dict) and reward.get("id")
    }
    taken = given_ids | set(reserved_ids)
    seen_names: set[str] = set()
    seen_ids: set[str] = set()
    cleaned: list[dict] = []
    for position, reward in enumerate(rewards, start=1):
        if not isinstance(reward, dict):
            refuse(position, _("%(reward)s: a reward has a name and a points cost."), "invalid")
            continue
        name = str(reward.get("name") or "").strip()
        cost = reward.get("points_cost")
        if not name:
            refuse(position, _("%(reward)s: a reward needs a name."), "name_required")
            continue
        if isinstance(cost, bool) or not isinstance(cost, int):
            refuse(
                position, _("%(reward)s: a reward costs a whole number of points."), "invalid_cost"
            )
            continue
        if cost < 1:
            refuse(position, _("%(reward)s: a reward must cost at least 1 point."), "invalid_cost")
            continue
        if has_control_characters(name):
            refuse(
                position,
                _("%(reward)s: a reward name cannot hold control characters."),
                "invalid_name",
            )
            continue
        if len(name) > REWARD_NAME_MAX_LENGTH:
            refuse(
                position,
                _("%(reward)s: keep the reward name under %(max)s characters."),
                "name_too_long",
                max=REWARD_NAME_MAX_LENGTH,
            )
            continue
        if name.casefold() in seen_names:
            refuse(
                position,
                _("%(reward)s: “%(name)s” is already in the list."),
                "duplicate",
                name=name,
            )
            continue
        seen_names.add(name.casefold())
        reward_id = str(reward.get("id") or "").strip()
        if not reward_id:
            reward_id = new_reward_id(name, taken)
            taken.add(reward_id)
        elif not REWARD_ID_PATTERN.fullmatch(reward_id):
            refuse(
                position,
                _(
                    "%(reward)s: a reward ID is made of lower-case letters, digits and hyphens "
                    "(up to %(max)s)."
                ),
                "invalid_id",
                max=REWARD_ID_MAX_LENGTH,
            )
            continue
        if reward_id in seen_ids:
            refuse(
                position,
                _("%(reward)s: the ID “%(id)s” is already in the list."),
                "duplicate_id",
                id=reward_id,
            )
            continue
        seen_ids.add(reward_id)
        cleaned.append({"id": reward_id, "name": name, "points_cost": cost})
    if errors:
        raise ValidationError(errors)
    return cleaned
