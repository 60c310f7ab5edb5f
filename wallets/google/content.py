"""What a programme's LoyaltyClass and a card's LoyaltyObject say in Google Wallet (Google's
``walletobjects.v1`` schemas), as the JSON bodies we send.

The same words as the Apple pass (``wallets.apple.strings``), in every language the platform
speaks: Google picks the phone's language from ``translatedValues``. Values that are the
customer's or the merchant's own (a name, a reward) are sent as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cards.links import card_page_url
from cards.models import LoyaltyCard
from common.urls import absolute_url
from programs.models import LoyaltyProgram
from wallets.apple import strings as keys
from wallets.apple.strings import PassFacts, pass_facts, texts
from wallets.google import ids

MAX_LOCATIONS = 10  # Google refuses more merchant locations on a class


def localized(words: Callable[[], str]) -> dict[str, Any]:
    """``words`` (a function that translates in the active language) in every language."""
    values = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            values[code] = words()
    default = settings.LANGUAGE_CODE
    return {
        "defaultValue": {"language": default, "value": values[default]},
        "translatedValues": [
            {"language": code, "value": value} for code, value in values.items() if code != default
        ],
    }


@lru_cache(maxsize=2048)
def _words(facts: PassFacts) -> dict[str, dict[str, str]]:
    """Every pass text in every language, once per programme's rules (as the Apple pass's)."""
    words = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words[code] = texts(facts)
    return words


def _text(facts: PassFacts, key: str) -> Callable[[], str]:
    words = _words(facts)
    return lambda: words[translation.get_language() or settings.LANGUAGE_CODE][key]


def _default(facts: PassFacts, key: str) -> str:
    return _words(facts)[settings.LANGUAGE_CODE][key]


def program_logo_uri(program: LoyaltyProgram, host: str) -> str:
    """An https address of the programme's logo (Google fetches it; http is refused)."""
    if program.logo:
        url = program.logo.url
        absolute = url if "://" in url else absolute_url(host, url)
    elif program.logo_url:
        absolute = program.logo_url
    else:
        path = reverse(
            "api-google-logo", kwargs={"program_id": program.pk}, urlconf=settings.ROOT_URLCONF
        )
        absolute = absolute_url(host, path)
    return "https://" + absolute.split("://", 1)[1] if absolute.startswith("http://") else absolute


def class_body(program: LoyaltyProgram, *, issuer_name: str, host: str) -> dict[str, Any]:
    """The programme's LoyaltyClass: who issues it, its name, logo, colour and stores."""
    body: dict[str, Any] = {
        "id": ids.class_id(program),
        "issuerName": issuer_name,
        "programName": program.card_name,
        "programLogo": {
            "sourceUri": {"uri": program_logo_uri(program, host)},
            "contentDescription": localized(
                lambda: _("%(card)s logo") % {"card": program.card_name}
            ),
        },
        "hexBackgroundColor": program.card_color,
        # Google approves a class itself; we send "under review" on every insert and patch.
        "reviewStatus": "UNDER_REVIEW",
        "localizedAccountNameLabel": localized(lambda: _("Member")),
        "localizedAccountIdLabel": localized(lambda: _("Card number")),
        "multipleDevicesAndHoldersAllowedStatus": "ONE_USER_ALL_DEVICES",
    }
    locations = [
        {"latitude": float(s.latitude), "longitude": float(s.longitude)}  # type: ignore[arg-type]
        for s in program.stores.order_by("name", "pk")
        if s.has_coordinates
    ][:MAX_LOCATIONS]
    if locations:
        body["merchantLocations"] = locations
    return body


def reward_ready(card: LoyaltyCard) -> bool:
    """Whether the card can have a reward now: what a notification is spent on."""
    return bool(card.stamp_rewards_ready or card.affordable_rewards)


def _stamps(card: LoyaltyCard, facts: PassFacts) -> dict[str, Any]:
    return {
        "label": _default(facts, keys.LABEL_STAMPS),
        "localizedLabel": localized(_text(facts, keys.LABEL_STAMPS)),
        "balance": {"string": f"{card.stamp_count}/{card.program.stamps_target}"},
    }


def _points(card: LoyaltyCard, facts: PassFacts) -> dict[str, Any]:
    return {
        "label": _default(facts, keys.LABEL_POINTS),
        "localizedLabel": localized(_text(facts, keys.LABEL_POINTS)),
        "balance": {"int": card.points_balance},
    }


def _reward_module(card: LoyaltyCard, facts: PassFacts) -> dict[str, Any] | None:
    """The next reward, or the one ready now (stamps first on a hybrid card)."""
    program = card.program
    header = keys.LABEL_NEXT_REWARD
    if program.has_stamps and program.stamps_target:
        reward = program.stamps_reward_description
        if card.stamp_rewards_ready:
            header = keys.LABEL_REWARD_READY
        if not reward:
            return {
                "id": "reward",
                "header": _default(facts, header),
                "body": _default(facts, keys.TEXT_A_REWARD),
                "localizedHeader": localized(_text(facts, header)),
                "localizedBody": localized(_text(facts, keys.TEXT_A_REWARD)),
            }
    elif program.has_points:
        affordable = card.affordable_rewards
        if affordable:
            header = keys.LABEL_REWARD_READY
            reward = max(affordable, key=lambda item: item["points_cost"])["name"]
        elif card.next_reward is not None:
            reward = card.next_reward["name"]
        else:
            return None
    else:
        return None
    return {
        "id": "reward",
        "header": _default(facts, header),
        "body": reward,
        "localizedHeader": localized(_text(facts, header)),
    }


def object_body(card: LoyaltyCard, *, object_id: str, class_id: str, host: str) -> dict[str, Any]:
    """The card's LoyaltyObject: its holder, number, balances, next reward and QR code."""
    program = card.program
    facts = pass_facts(card)
    if program.has_stamps and program.stamps_target:
        primary = _stamps(card, facts)
        secondary = _points(card, facts) if program.has_points else None
    else:
        primary, secondary = _points(card, facts), None
    page = card_page_url(card, host)
    body: dict[str, Any] = {
        "id": object_id,
        "classId": class_id,
        "state": "ACTIVE" if card.is_active else "INACTIVE",
        "accountId": card.formatted_number,
        "accountName": card.customer.name,
        "loyaltyPoints": primary,
        "barcode": {
            "type": "QR_CODE",
            "value": card.qr_code_data,
            "alternateText": card.formatted_number,
        },
        "textModulesData": [
            module
            for module in (
                _reward_module(card, facts),
                {
                    "id": "how",
                    "header": _default(facts, keys.LABEL_HOW_IT_WORKS),
                    "body": _default(facts, keys.TEXT_HOW_IT_WORKS),
                    "localizedHeader": localized(_text(facts, keys.LABEL_HOW_IT_WORKS)),
                    "localizedBody": localized(_text(facts, keys.TEXT_HOW_IT_WORKS)),
                },
            )
            if module is not None and module.get("body")
        ],
        "linksModuleData": {
            "uris": [
                {
                    "id": "page",
                    "uri": page,
                    "description": _default(facts, keys.LABEL_CARD_PAGE),
                    "localizedDescription": localized(_text(facts, keys.LABEL_CARD_PAGE)),
                }
            ]
        },
    }
    if secondary is not None:
        body["secondaryLoyaltyPoints"] = secondary
    return body


def changed_fields(sent: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """The top-level fields of ``now`` that differ from what Google accepted (``sent``). A field
    no longer given is sent as null, which a patch clears."""
    changes = {name: value for name, value in now.items() if sent.get(name) != value}
    for name in sent.keys() - now.keys():
        changes[name] = None
    return changes
