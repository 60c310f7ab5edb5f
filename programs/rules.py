"""A programme's limits, its colour format and its reward list, each written once.

The model's constraints and validators, the back office's form and the API's serializers all read
them here, so a limit changes in one edit (and ``makemigrations`` carries it to the database's
CHECK constraints) and a bad value is refused with the same message wherever it comes from.
"""

from __future__ import annotations

import itertools
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
from django.utils.text import capfirst, slugify
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


def stamp_grid_columns(target: int) -> int:
    """How many stamps a row of the card's grid holds (the card page, the back office's preview):
    rows of equal length read like a paper card, 10 stamps as 2 x 5, 8 as 2 x 4, 6 as 2 x 3."""
    if target <= 5:
        return target
    return next((columns for columns in (5, 4, 3) if target % columns == 0), 5)


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


# Opening hours

# A store's week as stored: {"mon": [["08:00", "12:00"], ["14:00", "19:00"]], "tue": [], ...}, every
# weekday present (an empty list: closed that day), or {} when the hours are not known. A period
# that closes at or before it opens runs past midnight ("18:00"-"02:00" closes at 02:00 the next
# day); midnight as a closing time is "24:00".
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OPENING_PERIODS_PER_DAY = 2
# A period past midnight closes by this time of the next morning: later, "14:00-12:00" is far
# more likely a typing slip than 22 hours of opening.
LATEST_NIGHT_CLOSING = 6 * 60
# Operations this long after closing time are still inside the hours: the last customers are
# served after the door is shut, and tills' clocks drift.
OPENING_HOURS_GRACE_MINUTES = 15
MINUTES_A_DAY = 24 * 60

_TIME = r"(?P<{0}h>\d{{1,2}})(?:\s*[:.hH]\s*(?P<{0}m>\d{{2}})?)?"
PERIOD_PATTERN = re.compile(
    rf"^{_TIME.format('o')}\s*(?:-|\u2013|\u2014|to|à|bis|bes)\s*{_TIME.format('c')}$",
    re.IGNORECASE,
)
HOURS_EXAMPLE = "08:00-12:00, 14:00-19:00"


def weekday_label(key: str, *, sentence_start: bool = True) -> str:
    from django.utils.dates import WEEKDAYS  # Django's own words, in every language it has

    # Capitalised: it starts the sentence (French and Luxembourgish write days in lower case).
    name = str(WEEKDAYS[WEEKDAY_KEYS.index(key)])
    return capfirst(name) if sentence_start else name


def _minutes(hours: str | None, minutes: str | None) -> int | None:
    value = int(hours or 0) * 60 + int(minutes or 0)
    return value if int(hours or 0) <= 24 and int(minutes or 0) < 60 and value <= 1440 else None


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_day_hours(text: str, *, day: str) -> list[list[str]]:
    """A day's periods typed as in the back office, "08:00-12:00, 14:00-19:00" (empty: closed),
    as stored. Only the reading is checked here; ``normalise_opening_hours`` judges the week."""
    periods: list[list[str]] = []
    for piece in re.split(r"[,;/]|\s+(?:and|et|und|an)\s+", text.strip()):
        piece = piece.strip()
        if not piece:
            continue
        match = PERIOD_PATTERN.match(piece)
        if match is None:
            raise ValidationError(
                _("%(day)s: write the hours like %(example)s, or leave the day empty if closed."),
                code="invalid_period",
                params={"day": weekday_label(day), "example": HOURS_EXAMPLE},
            )
        opens, closes = _minutes(match["oh"], match["om"]), _minutes(match["ch"], match["cm"])
        if opens is None or closes is None:
            raise ValidationError(
                _("%(day)s: “%(period)s” is not a time of day (00:00 to 24:00)."),
                code="invalid_time",
                params={"day": weekday_label(day), "period": piece},
            )
        periods.append([_clock(opens), _clock(closes)])
    return periods


def normalise_opening_hours(hours: object) -> dict[str, list[list[str]]]:
    """Check a week of opening hours and return it as stored (see ``WEEKDAY_KEYS``).

    The one rule for opening hours, whoever sends them: every day a list of at most
    ``OPENING_PERIODS_PER_DAY`` periods ``[opens, closes]`` ("HH:MM"), none overlapping another
    (a night's period reaches into the next day); a day left out is closed. A week without any
    period is {}: the hours are not known.
    """
    if hours in (None, "", {}):
        return {}
    shape_error = ValidationError(
        _(
            "Opening hours are given per weekday (mon to sun) as a list of periods like "
            "[“08:00”, “12:00”]."
        ),
        code="invalid_hours",
    )
    if not isinstance(hours, dict) or not set(hours) <= set(WEEKDAY_KEYS):
        raise shape_error
    week: dict[str, list[list[str]]] = {}
    # (start, end, day, text) in minutes from Monday 00:00.
    spans: list[tuple[int, int, str, str]] = []
    errors: list[ValidationError] = []
    for number, day in enumerate(WEEKDAY_KEYS):
        periods = hours.get(day) or []
        label = weekday_label(day)
        if not isinstance(periods, list) or not all(
            isinstance(period, list | tuple)
            and len(period) == 2
            and all(isinstance(moment, str) for moment in period)
            for period in periods
        ):
            raise shape_error
        try:
            typed = parse_day_hours(", ".join(f"{o}-{c}" for o, c in periods), day=day)
        except ValidationError as refused:
            errors.append(refused)
            continue
        if len(typed) > OPENING_PERIODS_PER_DAY:
            errors.append(
                ValidationError(
                    _("%(day)s: at most two opening periods a day, e.g. %(example)s."),
                    code="too_many_periods",
                    params={"day": label, "example": HOURS_EXAMPLE},
                )
            )
            continue
        for opens_at, closes_at in typed:
            opens, closes = (int(t[:2]) * 60 + int(t[3:]) for t in (opens_at, closes_at))
            period = f"{opens_at}-{closes_at}"
            if closes == 0:  # midnight closes the day
                closes, closes_at = MINUTES_A_DAY, "24:00"
                period = f"{opens_at}-{closes_at}"
            if opens == closes:
                errors.append(
                    ValidationError(
                        _("%(day)s: %(period)s opens and closes at the same time."),
                        code="empty_period",
                        params={"day": label, "period": period},
                    )
                )
                continue
            if opens == MINUTES_A_DAY:
                errors.append(
                    ValidationError(
                        _("%(day)s: %(period)s opens at midnight: write 00:00 on the next day."),
                        code="invalid_time",
                        params={"day": label, "period": period},
                    )
                )
                continue
            if closes < opens and closes > LATEST_NIGHT_CLOSING:
                errors.append(
                    ValidationError(
                        _(
                            "%(day)s: %(period)s closes before it opens. Hours past midnight "
                            "(e.g. 18:00-02:00) end by %(latest)s at the latest."
                        ),
                        code="closes_before_opens",
                        params={
                            "day": label,
                            "period": period,
                            "latest": _clock(LATEST_NIGHT_CLOSING),
                        },
                    )
                )
                continue
            start = number * MINUTES_A_DAY + opens
            end = number * MINUTES_A_DAY + closes + (MINUTES_A_DAY if closes < opens else 0)
            spans.append((start, end, day, period))
            week.setdefault(day, []).append([opens_at, closes_at])
    # Overlaps, in the order of the week, Sunday night's period reaching into Monday included.
    spans.sort()
    week_minutes = 7 * MINUTES_A_DAY
    pairs = list(itertools.pairwise(spans))
    if spans:
        last, first = spans[-1], spans[0]
        pairs.append((last, (first[0] + week_minutes, first[1] + week_minutes, *first[2:])))
    for earlier, later in pairs:
        if len(spans) > 1 and later[0] < earlier[1]:
            errors.append(
                ValidationError(
                    _("%(day)s: %(period)s overlaps %(other_day)s %(other)s."),
                    code="overlapping_periods",
                    params={
                        "day": weekday_label(later[2]),
                        "period": later[3],
                        "other_day": weekday_label(earlier[2], sentence_start=False),
                        "other": earlier[3],
                    },
                )
            )
    if errors:
        raise ValidationError(errors)
    if not spans:
        return {}
    return {day: sorted(week.get(day, [])) for day in WEEKDAY_KEYS}


def validate_opening_hours(value: object) -> None:
    """The model field's validator: ``normalise_opening_hours`` refuses what it would not store."""
    normalise_opening_hours(value)
