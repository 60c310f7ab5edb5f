"""Writes on stores and loyalty programmes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Now
from django.utils.translation import gettext as _

from common.announcements import announce_after_commit
from common.errors import Conflict
from programs.models import LoyaltyProgram, Store, normalise_store_code
from programs.signals import program_changed
from programs.wallet_ids import WALLET_ID_FIELDS, save_wallet_ids, wallet_ids

PROGRAM_FIELDS = (
    "loyalty_type",
    "stamps_target",
    "stamps_reward_description",
    "points_per_euro",
    "points_rewards",
    "points_expiration_days",
    "cooldown_minutes",
    "max_daily_stamps",
    "require_staff_pin",
    "card_name",
    "card_color",
    "logo_url",
    "is_active",
)


def _split_wallet_ids(fields: dict[str, Any]) -> dict[str, Any]:
    """Take the Wallet identifiers out of ``fields``: wallets keeps them (programs.wallet_ids)."""
    unknown = set(fields) - set(PROGRAM_FIELDS) - set(WALLET_ID_FIELDS)
    if unknown:
        raise TypeError(f"unknown programme fields: {sorted(unknown)}")
    return {name: fields.pop(name) for name in WALLET_ID_FIELDS if name in fields}


@transaction.atomic
def create_store(
    *,
    name: str,
    code: str,
    address: str = "",
    timezone: str = "Europe/Luxembourg",
    is_active: bool = True,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    opening_hours: dict | None = None,
) -> Store:
    """Create a store; raises ValidationError with field errors on bad input (coordinates: both
    or neither, latitude -90..90, longitude -180..180, opening hours as
    ``programs.rules.normalise_opening_hours`` reads them)."""
    store = Store(
        name=name,
        code=normalise_store_code(code),
        address=address,
        timezone=timezone,
        is_active=is_active,
        latitude=latitude,
        longitude=longitude,
        opening_hours=opening_hours or {},
    )
    store.full_clean()
    store.save()
    return store


# What a store's passes show of it (the name, the address on the back, the location that brings
# the pass to the lock screen): a change to one is announced for the store's programme.
STORE_FIELDS_ON_PASSES = ("name", "address", "latitude", "longitude")


@transaction.atomic
def update_store(*, store: Store, **fields: Any) -> Store:
    """Change some of a store's details; ValidationError with field errors on bad input. When its
    cards show what changed, ``program_changed`` is announced with ``fields=["store"]``."""
    store = Store.objects.select_for_update().get(pk=store.pk)
    if "code" in fields:
        fields["code"] = normalise_store_code(fields["code"])
    changed = {name for name, value in fields.items() if getattr(store, name) != value}
    for name, value in fields.items():
        setattr(store, name, value)
    store.full_clean()
    store.save()
    program_id = LoyaltyProgram.objects.filter(store=store).values_list("pk", flat=True).first()
    if program_id is not None and changed & set(STORE_FIELDS_ON_PASSES):
        announce_after_commit(
            program_changed, sender=LoyaltyProgram, program_id=program_id, fields=["store"]
        )
    return store


class ProgramExists(Conflict):
    default_code = "program_exists"
    default_message = _("This store already has a loyalty programme.")


@transaction.atomic
def create_program(*, store: Store, **fields: Any) -> LoyaltyProgram:
    """Create the store's programme (one per store); ValidationError on bad values."""
    ids = _split_wallet_ids(fields)
    fields.setdefault("card_name", store.name)
    program = LoyaltyProgram(store=store, **fields)
    if LoyaltyProgram.objects.filter(store=store).exists():
        raise ProgramExists()
    program.full_clean()
    try:
        with transaction.atomic():
            program.save()
    except IntegrityError as error:  # a concurrent create for the same store won
        raise ProgramExists() from error
    save_wallet_ids(program, ids)
    announce_after_commit(
        program_changed,
        sender=LoyaltyProgram,
        program_id=program.pk,
        fields=sorted({*fields, *ids}),
    )
    return program


@transaction.atomic
def update_program(*, program: LoyaltyProgram, logo: Any = None, **fields: Any) -> LoyaltyProgram:
    """Change some of a programme's settings; ValidationError on bad values. ``logo`` is an
    uploaded image, or False to remove the logo (None: leave it). Every pass of the programme
    shows its name, colours, logo, rules and wallet identifiers, so a real change is announced
    (``program_changed``).
    """
    ids = _split_wallet_ids(fields)
    program = LoyaltyProgram.objects.select_for_update().get(pk=program.pk)
    changed = {name for name, value in fields.items() if getattr(program, name) != value}
    for name, value in fields.items():
        setattr(program, name, value)
    program.full_clean()
    if logo is not None:
        program.logo = logo or ""
        changed.add("logo")
    program.save()
    current_ids = wallet_ids(program)
    changed |= {name for name, value in ids.items() if current_ids[name] != value}
    save_wallet_ids(program, ids)
    if changed:
        announce_after_commit(
            program_changed, sender=LoyaltyProgram, program_id=program.pk, fields=sorted(changed)
        )
    return program


def record_poster_opened(*, store_id: int) -> None:
    """Note that a store's QR poster was opened, the first time only (the set-up checklist).
    One UPDATE, no lock: a second opening at the same moment writes nothing new."""
    Store.objects.filter(pk=store_id, poster_opened_at__isnull=True).update(poster_opened_at=Now())
