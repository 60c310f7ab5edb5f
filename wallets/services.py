"""Writes on the wallets' own records."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
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


# What a Google object we keep a copy of says about its holder: the name, and the card page's
# link (its token was rotated).
_GOOGLE_PERSONAL_FIELDS = ("accountName", "linksModuleData")


@transaction.atomic
def forget_erased_holder(*, card_ids: list[int]) -> None:
    """The customer holding these cards was erased (cards.signals.customer_erased): our copy of
    their Google objects forgets the holder's name and page link, so the next sync (queued by the
    cards' deactivation) sends the erased ones with the INACTIVE state. Safe to run twice."""
    passes = WalletPass.objects.select_for_update().filter(card_id__in=card_ids)
    for wallet_pass in passes.exclude(google_object={}):
        body = dict(wallet_pass.google_object)
        for name in _GOOGLE_PERSONAL_FIELDS:
            if name in body:
                # Not what Google holds: the sync sees a difference and patches the field.
                body[name] = None
        wallet_pass.google_object = body
        wallet_pass.google_error = ""
        wallet_pass.save(update_fields=["google_object", "google_error", "updated_at"])


def forget_erased_devices(*, card_ids: list[int]) -> int:
    """Delete the Apple devices' registrations of an erased customer's passes (device ids and
    push tokens are personal data); how many. Run after WALLET_ERASURE_GRACE_SECONDS, once the
    devices have fetched the voided pass the deactivation pushed. Safe to run twice."""
    deleted, _by_model = AppleRegistration.objects.filter(
        wallet_pass__card_id__in=card_ids
    ).delete()
    return deleted


def wallet_presence(card_ids: list[int]) -> dict[int, dict[str, object]]:
    """For a customer's data export (cards.services.register_export_part): per card, how many
    Apple devices hold its pass, and whether its Google Wallet object exists (Google does not say
    whether the customer saved it)."""
    presence: dict[int, dict[str, object]] = {
        card_id: {"apple_devices": 0, "google_object_created": False} for card_id in card_ids
    }
    passes = WalletPass.objects.filter(card_id__in=card_ids).annotate(
        devices=Count("apple_registrations")
    )
    for wallet_pass in passes:
        presence[wallet_pass.card_id] = {
            "apple_devices": wallet_pass.devices,
            "google_object_created": bool(wallet_pass.google_object),
        }
    return presence
