"""Interim: the interface messaging calls (wallet-messages branch replaces this module)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from wallets.config import apple_configured, google_configured
from wallets.models import AppleRegistration, WalletPass


@dataclass(frozen=True)
class PassMessage:
    card_id: int
    message_id: str
    header: str
    text: str
    detail: str = ""


@dataclass
class MessageOutcome:
    apple: str = "none"
    apple_devices: int = 0
    google: str = "none"
    error: str = ""


@dataclass(frozen=True)
class Reach:
    apple: bool
    google: bool


def wallet_reach(card_ids: Sequence[int]) -> dict[int, Reach]:
    reach = {card_id: Reach(apple=False, google=False) for card_id in card_ids}
    rows = (
        WalletPass.objects.filter(card_id__in=card_ids)
        .annotate(
            registered=Exists(AppleRegistration.objects.filter(wallet_pass_id=OuterRef("pk")))
        )
        .values_list("card_id", "registered", "google_object_id")
    )
    apple_on, google_on = apple_configured(), google_configured()
    for card_id, registered, object_id in rows:
        reach[card_id] = Reach(apple=apple_on and registered, google=google_on and bool(object_id))
    return reach


def post_messages(
    messages: Sequence[PassMessage], *, now: dt.datetime | None = None
) -> dict[int, MessageOutcome]:
    return {message.card_id: MessageOutcome() for message in messages}
