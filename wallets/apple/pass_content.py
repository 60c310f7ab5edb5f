"""What a card's Apple pass shows: ``pass.json``, its words in every language and its images
(Apple, "Creating a store card pass" and the ``Pass`` reference; ``storeCard`` style).

Words Wallet displays are keys of ``wallets.apple.strings``, resolved on the phone in its own
language; values that are the customer's or the merchant's own (a name, an address, a reward's
name) are written as they are.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from django.conf import settings

from cards.links import card_page_url
from cards.models import LoyaltyCard
from common.colors import readable_ink
from common.urls import absolute_url
from wallets.apple import strings as keys
from wallets.apple.credentials import AppleCredentials
from wallets.apple.images import brand_files, strip_files
from wallets.apple.strings import pass_facts, pass_strings
from wallets.models import WalletPass

# Where the PassKit web service lives; devices append "/v1/devices/…", so no trailing slash.
WEB_SERVICE_PATH = "/api/v1/loyalty/apple"


def css_rgb(color: str) -> str:
    """``#RRGGBB`` as Apple's colour notation, ``rgb(r, g, b)``."""
    red, green, blue = (int(color[index : index + 2], 16) for index in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def _stamps_field(card: LoyaltyCard) -> dict[str, Any]:
    target = card.program.stamps_target
    return {
        "key": "stamps",
        "label": keys.LABEL_STAMPS,
        "value": f"{card.stamp_count} / {target}",
        "changeMessage": keys.CHANGE_STAMPS,
    }


def _points_field(card: LoyaltyCard) -> dict[str, Any]:
    return {
        "key": "points",
        "label": keys.LABEL_POINTS,
        "value": card.points_balance,
        "changeMessage": keys.CHANGE_POINTS,
    }


def _progress_fields(card: LoyaltyCard) -> list[dict[str, Any]]:
    """The next reward and what is still missing for it (stamps first on a hybrid card)."""
    program = card.program
    if program.has_stamps and program.stamps_target:
        reward = program.stamps_reward_description or keys.TEXT_A_REWARD
        if card.stamp_rewards_ready:
            return [
                {
                    "key": "reward",
                    "label": keys.LABEL_REWARD_READY,
                    "value": reward,
                    "changeMessage": keys.CHANGE_REWARD,
                }
            ]
        return [
            {
                "key": "reward",
                "label": keys.LABEL_NEXT_REWARD,
                "value": reward,
                "changeMessage": keys.CHANGE_REWARD,
            },
            {
                "key": "missing",
                "label": keys.LABEL_STAMPS_TO_GO,
                "value": program.stamps_target - card.stamp_count,
            },
        ]
    if program.has_points:
        next_reward = card.next_reward
        if next_reward is not None:
            return [
                {
                    "key": "reward",
                    "label": keys.LABEL_NEXT_REWARD,
                    "value": next_reward["name"],
                    "changeMessage": keys.CHANGE_REWARD,
                },
                {
                    "key": "missing",
                    "label": keys.LABEL_POINTS_TO_GO,
                    "value": card.points_to_next_reward,
                },
            ]
        affordable = card.affordable_rewards
        if affordable:
            best = max(affordable, key=lambda reward: reward["points_cost"])
            return [
                {
                    "key": "reward",
                    "label": keys.LABEL_REWARD_READY,
                    "value": best["name"],
                    "changeMessage": keys.CHANGE_REWARD,
                }
            ]
    return []


MAX_LOCATIONS = 10  # Apple's Pass reference: "Wallet reads at most ten"


def _message_fields(wallet_pass: WalletPass) -> list[dict[str, Any]]:
    """The merchant's latest message (``wallets.messages``), written as it was sent (already in
    the customer's language).

    The "news" field is there even before the first message, with a placeholder: Wallet shows a
    field's ``changeMessage`` on the lock screen only when the field's value differs from the
    pass the phone had, so the field must exist in every version for its first message to be
    announced. Its change message is ``%@`` alone in every language (``strings.CHANGE_NEWS``):
    the lock screen shows the message itself."""
    fields: list[dict[str, Any]] = [
        {
            "key": "news",
            "label": keys.LABEL_NEWS,
            "value": wallet_pass.message_text or keys.TEXT_NO_NEWS,
            "changeMessage": keys.CHANGE_NEWS,
        }
    ]
    if wallet_pass.message_text and wallet_pass.message_detail:
        fields.append(
            {
                "key": "news_detail",
                "label": keys.LABEL_NEWS_DETAIL,
                "value": wallet_pass.message_detail,
            }
        )
    return fields


def _back_fields(wallet_pass: WalletPass, card: LoyaltyCard, host: str) -> list[dict[str, Any]]:
    store = card.store
    page = card_page_url(card, host)
    # The message first: the customer who taps the notification lands on the back of the pass.
    fields = _message_fields(wallet_pass)
    if store.address.strip():
        fields.append(
            {"key": "address", "label": keys.LABEL_ADDRESS, "value": store.address.strip()}
        )
    fields += [
        {"key": "how", "label": keys.LABEL_HOW_IT_WORKS, "value": keys.TEXT_HOW_IT_WORKS},
        {"key": "number", "label": keys.LABEL_CARD_NUMBER, "value": card.formatted_number},
        {
            "key": "page",
            "label": keys.LABEL_CARD_PAGE,
            "value": page,
            "attributedValue": f'<a href="{escape(page)}">{escape(page)}</a>',
        },
        {"key": "terms", "label": keys.LABEL_TERMS, "value": keys.TEXT_TERMS},
    ]
    return fields


def pass_json(
    wallet_pass: WalletPass, card: LoyaltyCard, credentials: AppleCredentials, *, host: str
) -> dict[str, Any]:
    program = card.program
    store = card.store
    color = program.card_color
    ink = css_rgb(readable_ink(color))
    barcode = {
        "format": "PKBarcodeFormatQR",
        "message": card.qr_code_data,
        "messageEncoding": "iso-8859-1",
        "altText": card.formatted_number,
    }
    if program.has_stamps and program.stamps_target:
        primary = [_stamps_field(card)]
        header = [_points_field(card)] if program.has_points else []
    else:
        primary = [_points_field(card)]
        header = []
    content: dict[str, Any] = {
        "formatVersion": 1,
        "passTypeIdentifier": credentials.pass_type_id,
        "teamIdentifier": credentials.team_id,
        "serialNumber": wallet_pass.apple_serial_number,
        "organizationName": store.name,
        "description": keys.DESCRIPTION,
        "logoText": program.card_name,
        "backgroundColor": css_rgb(color),
        "foregroundColor": ink,
        "labelColor": ink,
        "storeCard": {
            "headerFields": header,
            "primaryFields": primary,
            "secondaryFields": _progress_fields(card),
            "auxiliaryFields": [
                {"key": "member", "label": keys.LABEL_MEMBER, "value": card.customer.name}
            ],
            "backFields": _back_fields(wallet_pass, card, host),
        },
        "barcodes": [barcode],
        # iOS before 9 reads only the single "barcode" (Apple's Pass reference).
        "barcode": barcode,
        "voided": not card.is_active,
    }
    # Near any participating store the pass comes to the lock screen (Apple reads 10 at most),
    # the card's own store first.
    places = list(program.stores.order_by("name", "pk"))
    located = [(index, place) for index, place in enumerate(places) if place.has_coordinates]
    located.sort(key=lambda item: item[1].pk != store.pk)
    if located:
        content["locations"] = [
            {
                "latitude": float(place.latitude),  # type: ignore[arg-type]
                "longitude": float(place.longitude),  # type: ignore[arg-type]
                "relevantText": keys.relevant_key(index),
            }
            for index, place in located[:MAX_LOCATIONS]
        ]
    # Devices talk to the web service over https only; over http the pass gets neither key, and
    # so never hands its token to a plain-text connection.
    if settings.PUBLIC_SCHEME == "https":
        content["webServiceURL"] = absolute_url(host, WEB_SERVICE_PATH)
        content["authenticationToken"] = wallet_pass.apple_auth_token
    return content


def pass_files(
    wallet_pass: WalletPass, card: LoyaltyCard, credentials: AppleCredentials, *, host: str
) -> dict[str, bytes]:
    """Every file of the pass but the manifest and signature, by name."""
    return {
        "pass.json": json.dumps(
            pass_json(wallet_pass, card, credentials, host=host),
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode(),
        **pass_strings(pass_facts(card)),
        **brand_files(card),
        **strip_files(card),
    }
