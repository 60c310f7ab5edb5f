"""Writes on the wallets' own records."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cards.models import LoyaltyCard
from wallets.models import AppleRegistration, WalletPass


def ensure_wallet_pass(*, card: LoyaltyCard) -> WalletPass:
    """The card's pass identifiers, created the first time a pass link needs them.

    Safe under concurrency: the card is unique in ``WalletPass``, and ``get_or_create`` reads
    the winner's row when two requests create it at once.
    """
    try:
        return card.wallet_pass  # no query when loaded with the card (cards.links relations)
    except WalletPass.DoesNotExist:
        pass
    wallet_pass, _created = WalletPass.objects.get_or_create(card=card)
    card.wallet_pass = wallet_pass  # later reads of this card object need no query
    return wallet_pass


@transaction.atomic
def register_apple_device(
    *, wallet_pass: WalletPass, device_library_id: str, push_token: str
) -> bool:
    """Register a device for the pass's update pushes (Apple's "Register a pass for update
    notifications"); True when the registration is new, False when the device had it.

    A device has one push token for all its passes: a new one replaces the old token on every
    registration of the device, so pushes for its other passes reach it too. Safe under
    concurrency: the (device, pass) pair is unique, and ``get_or_create`` reads the winner's row
    when the same registration arrives twice at once.
    """
    _registration, created = AppleRegistration.objects.get_or_create(
        wallet_pass=wallet_pass,
        device_library_id=device_library_id,
        defaults={"push_token": push_token},
    )
    AppleRegistration.objects.filter(device_library_id=device_library_id).exclude(
        push_token=push_token
    ).update(push_token=push_token, updated_at=timezone.now())
    return created


def unregister_apple_device(*, wallet_pass: WalletPass, device_library_id: str) -> None:
    """The device no longer wants the pass's pushes (the pass was removed from it). Unregistering
    twice is the same as once."""
    AppleRegistration.objects.filter(
        wallet_pass=wallet_pass, device_library_id=device_library_id
    ).delete()
