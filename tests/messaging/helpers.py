"""Cards in the states audiences look for, and passes on the wallets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cards.models import LoyaltyCard
from cards.services import enroll_customer
from tests.conftest import settle_background_work
from wallets.models import AppleRegistration, WalletPass


def enrol(
    *,
    store_code: str = "main",
    email: str,
    consent: bool = True,
    locale: str = "en",
    name: str = "Jane",
) -> LoyaltyCard:
    return enroll_customer(
        store_code=store_code, name=name, email=email, marketing_consent=consent, locale=locale
    ).card


def set_state(card: LoyaltyCard, **fields: Any) -> LoyaltyCard:
    """Put a card in a state directly (audience tests: the engine's rules are tested elsewhere)."""
    LoyaltyCard.objects.filter(pk=card.pk).update(**fields)
    return LoyaltyCard.objects.get(pk=card.pk)


def on_apple(card: LoyaltyCard, *, device: str | None = None, token: str | None = None) -> str:
    """Register a device for the card's Apple pass; returns its push token."""
    wallet_pass, _created = WalletPass.objects.get_or_create(card=card)
    token = token or f"{card.pk:064x}"
    AppleRegistration.objects.create(
        wallet_pass=wallet_pass, device_library_id=device or f"device-{card.pk}", push_token=token
    )
    return token


def on_google_record(card: LoyaltyCard, object_id: str) -> None:
    """Record that Google has the card's object (without syncing: audience counts only)."""
    wallet_pass, _created = WalletPass.objects.get_or_create(card=card)
    WalletPass.objects.filter(pk=wallet_pass.pk).update(
        google_object_id=object_id, google_object={"id": object_id}
    )


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def settle_all() -> None:
    """Wait for the background threads (no broker) of the messages and the wallets: a campaign's
    fan-out, an automation's delivery, the wallets' updates."""
    settle_background_work()
