"""The pass's words in every language we speak: ``<lang>.lproj/pass.strings``.

``pass.json`` carries keys (``label.stamps``) where Wallet shows words; the phone looks each key up
in the ``pass.strings`` of its language (Apple, "Creating the source for a pass": localizable
labels, values, ``changeMessage``, ``relevantText``). The files are a pass's own, so they may
hold the programme's rules written out in each language.

Strings files are written as Apple's tools write them: UTF-16 with a byte-order mark, one
``"key" = "value";`` per line, with ``"``, ``\\`` and line breaks escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from cards.models import LoyaltyCard

# Keys of pass.json that are looked up in pass.strings.
DESCRIPTION = "pass.description"
LABEL_STAMPS = "label.stamps"
LABEL_POINTS = "label.points"
LABEL_NEXT_REWARD = "label.next_reward"
LABEL_REWARD_READY = "label.reward_ready"
LABEL_STAMPS_TO_GO = "label.stamps_to_go"
LABEL_POINTS_TO_GO = "label.points_to_go"
LABEL_MEMBER = "label.member"
LABEL_CARD_NUMBER = "label.card_number"
LABEL_ADDRESS = "label.address"
LABEL_HOW_IT_WORKS = "label.how_it_works"
LABEL_TERMS = "label.terms"
LABEL_CARD_PAGE = "label.card_page"
LABEL_NEWS = "label.news"
LABEL_NEWS_DETAIL = "label.news_detail"
CHANGE_STAMPS = "change.stamps"
CHANGE_POINTS = "change.points"
CHANGE_REWARD = "change.reward"
CHANGE_NEWS = "change.news"
TEXT_HOW_IT_WORKS = "text.how_it_works"
TEXT_TERMS = "text.terms"
TEXT_RELEVANT = "text.relevant"
TEXT_A_REWARD = "text.a_reward"
TEXT_NO_NEWS = "text.no_news"


@dataclass(frozen=True)
class PassFacts:
    """What the pass's words depend on: the programme's rules and the stores' names."""

    card_name: str
    store_name: str  # where the card was enrolled
    places: tuple[str, ...]  # the participating stores, by name: the card is valid at each
    has_stamps: bool
    has_points: bool
    stamps_target: int | None
    stamps_reward: str
    points_per_euro: Decimal | None
    rewards: tuple[tuple[str, int], ...]  # (name, points cost)
    points_expiration_days: int | None


def pass_facts(card: LoyaltyCard) -> PassFacts:
    program = card.program
    return PassFacts(
        card_name=program.card_name,
        store_name=card.store.name,
        places=tuple(program.stores.order_by("name", "pk").values_list("name", flat=True)),
        has_stamps=program.has_stamps,
        has_points=program.has_points,
        stamps_target=program.stamps_target,
        stamps_reward=program.stamps_reward_description,
        points_per_euro=program.points_per_euro,
        rewards=tuple(
            (str(reward.get("name", "")), int(reward.get("points_cost", 0)))
            for reward in program.points_rewards or []
        ),
        points_expiration_days=program.points_expiration_days,
    )


def _how_it_works(facts: PassFacts) -> str:
    paragraphs = []
    if facts.has_stamps and facts.stamps_target:
        if facts.stamps_reward:
            paragraphs.append(
                _(
                    "Show this card at the counter to collect a stamp with each purchase. "
                    "%(target)s stamps earn: %(reward)s."
                )
                % {"target": facts.stamps_target, "reward": facts.stamps_reward}
            )
        else:
            paragraphs.append(
                _(
                    "Show this card at the counter to collect a stamp with each purchase. "
                    "%(target)s stamps earn a reward."
                )
                % {"target": facts.stamps_target}
            )
    if facts.has_points and facts.points_per_euro:
        rate = formats.number_format(facts.points_per_euro.normalize())
        lines = [
            _("Show this card at the counter: each euro you spend earns %(rate)s points.")
            % {"rate": rate}
        ]
        lines += [
            _("%(points)s points: %(reward)s") % {"points": cost, "reward": name}
            for name, cost in facts.rewards
        ]
        if facts.points_expiration_days:
            lines.append(
                _("Points expire after %(days)s days without activity.")
                % {"days": facts.points_expiration_days}
            )
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def texts(facts: PassFacts) -> dict[str, str]:
    """Every key and its words in the active language."""
    return {
        DESCRIPTION: _("%(card)s loyalty card") % {"card": facts.card_name},
        LABEL_STAMPS: _("Stamps"),
        LABEL_POINTS: _("Points"),
        LABEL_NEXT_REWARD: _("Next reward"),
        LABEL_REWARD_READY: _("Reward ready"),
        LABEL_STAMPS_TO_GO: _("Stamps to go"),
        LABEL_POINTS_TO_GO: _("Points to go"),
        LABEL_MEMBER: _("Member"),
        LABEL_CARD_NUMBER: _("Card number"),
        LABEL_ADDRESS: _("Store address"),
        LABEL_HOW_IT_WORKS: _("How it works"),
        LABEL_TERMS: _("Terms"),
        LABEL_CARD_PAGE: _("Your card online"),
        # The merchant's messages (pass_content: the "news" back field).
        LABEL_NEWS: _("News"),
        LABEL_NEWS_DETAIL: _("More about it"),
        TEXT_NO_NEWS: _("No news yet"),
        # %@ is where Wallet puts the field's new value.
        CHANGE_STAMPS: _("You now have %@ stamps"),
        CHANGE_POINTS: _("You now have %@ points"),
        CHANGE_REWARD: _("Next reward: %@"),
        # The merchant's message itself on the lock screen, in every language (not translated:
        # the message is already in the customer's).
        CHANGE_NEWS: "%@",
        TEXT_HOW_IT_WORKS: _how_it_works(facts),
        TEXT_TERMS: _(
            "Stamps and points have no cash value and cannot be exchanged for money. One card "
            "per customer, valid at %(store)s only. The store may change or end the programme."
        )
        % {"store": ", ".join(facts.places or (facts.store_name,))},
        TEXT_RELEVANT: _("Show your %(card)s at %(store)s")
        % {"card": facts.card_name, "store": facts.store_name},
        TEXT_A_REWARD: _("A reward"),
        # The lock-screen text near each participating store (pass_content: locations).
        **{
            relevant_key(index): _("Show your %(card)s at %(store)s")
            % {"card": facts.card_name, "store": place}
            for index, place in enumerate(facts.places)
        },
    }


def relevant_key(index: int) -> str:
    """The key of the lock-screen text near the ``index``-th participating store (by name)."""
    return f"{TEXT_RELEVANT}.{index}"


def escape(value: str) -> str:
    """``value`` as a quoted string of a strings file."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def strings_file(entries: dict[str, str]) -> bytes:
    body = "".join(f"{escape(key)} = {escape(value)};\n" for key, value in entries.items())
    return b"\xff\xfe" + body.encode("utf-16-le")  # UTF-16 little-endian with its BOM


def pass_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@lru_cache(maxsize=2048)
def pass_strings(facts: PassFacts) -> dict[str, bytes]:
    """``{"en.lproj/pass.strings": bytes, …}`` for every language of the platform."""
    files = {}
    for language in pass_languages():
        with translation.override(language):
            files[f"{language}.lproj/pass.strings"] = strings_file(texts(facts))
    return files
