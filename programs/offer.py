"""A programme's offer as one sentence, in the active language: the join page and the store's QR
poster say it the same way ("Collect 10 stamps and get a free croissant.", "Earn 1.5 points per
euro and swap them for rewards.", "Collect 10 stamps for a free croissant and earn 1 point per
euro.").

The counts are noun phrases of their own ("10 stamps", "1.5 points"), each with its plural, so a
sentence with two counts (hybrid) is still one translatable sentence.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats, translation
from django.utils.translation import gettext, ngettext

from programs.models import LoyaltyProgram

# Languages whose nouns keep their capital inside a sentence: a reward typed "Gratis Kaffi" stays.
_CAPITALISED_NOUNS = ("de", "lb")


def _language() -> str:
    return (translation.get_language() or "en").split("-")[0]


def format_rate(rate: Decimal) -> str:
    """A rate as people write it: 1.5 (1,5 in fr, de, lb), 10 rather than 10.00."""
    value = rate.quantize(Decimal(1)) if rate == rate.to_integral_value() else rate.normalize()
    if _language() == "lb":
        # Django has no number format for Luxembourgish; it is written as in German (1,5).
        with translation.override("de"):
            return formats.number_format(value)
    return formats.number_format(value)


def plural_count(value: Decimal) -> int:
    """The number to choose a plural form by for ``value``, which may have decimals: gettext's
    plural rules take whole numbers. A decimal takes the plural in English, German and
    Luxembourgish (1.5 points), the singular below 2 in French (1,5 point)."""
    whole = int(value)
    if value == whole or _language() == "fr":
        return whole
    return max(whole, 2)


def _reward_phrase(description: str) -> str:
    """The merchant's reward inside a sentence: "A free croissant" reads "a free croissant" in
    English and French; a first word with other capitals ("XL coffee", "iPhone case") is kept, and
    so is every capital in German and Luxembourgish, whose nouns have one."""
    first = description.split(maxsplit=1)[0]
    if (
        _language() not in _CAPITALISED_NOUNS
        and first[0].isupper()
        and first[1:] == first[1:].lower()
    ):
        return description[0].lower() + description[1:]
    return description


def offer_sentence(program: LoyaltyProgram | None) -> str:
    """What a customer gets for joining ``program``, as one sentence ("" when it says nothing)."""
    if program is None:
        return ""
    stamps = points = ""
    if program.has_stamps and program.stamps_target:
        target = program.stamps_target
        stamps = ngettext("%(count)s stamp", "%(count)s stamps", target) % {"count": target}
    if program.has_points and program.points_per_euro:
        rate = Decimal(program.points_per_euro)
        points = ngettext("%(rate)s point", "%(rate)s points", plural_count(rate)) % {
            "rate": format_rate(rate)
        }
    description = program.stamps_reward_description.strip()
    reward = _reward_phrase(description) if description else ""
    if stamps and points:
        if reward:
            return gettext("Collect %(stamps)s for %(reward)s and earn %(points)s per euro.") % {
                "stamps": stamps,
                "reward": reward,
                "points": points,
            }
        return gettext("Collect %(stamps)s for a reward and earn %(points)s per euro.") % {
            "stamps": stamps,
            "points": points,
        }
    if stamps:
        if reward:
            return gettext("Collect %(stamps)s and get %(reward)s.") % {
                "stamps": stamps,
                "reward": reward,
            }
        return gettext("Collect %(stamps)s and get a reward.") % {"stamps": stamps}
    if points:
        if program.points_rewards:
            return gettext("Earn %(points)s per euro and swap them for rewards.") % {
                "points": points
            }
        return gettext("Earn %(points)s per euro.") % {"points": points}
    return ""
