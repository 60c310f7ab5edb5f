"""Writes on stores and loyalty programmes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
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
    if store.program_id is not None and changed & set(STORE_FIELDS_ON_PASSES):
        announce_after_commit(
            program_changed, sender=LoyaltyProgram, program_id=store.program_id, fields=["store"]
        )
    return store


class ProgramExists(Conflict):
    default_code = "program_exists"
    default_message = _("This store already has a loyalty programme.")


class NoParticipatingStore(ValidationError):
    """A programme is offered at one store at least."""

    def __init__(self) -> None:
        super().__init__(
            {"stores": [_("Choose at least one store where the programme is offered.")]},
        )


def _take_part(program: LoyaltyProgram, stores: Sequence[Store]) -> set[int]:
    """Make ``stores`` exactly the participating stores of ``program``; the ids of the stores
    that joined or left. A store taking part in another programme is refused (ProgramExists):
    the rows are locked, so two programmes claiming one store at once cannot both have it."""
    wanted = {store.pk for store in stores}
    if not wanted:
        raise NoParticipatingStore()
    rows = dict(
        Store.objects.select_for_update()
        .filter(Q(pk__in=wanted) | Q(program=program))
        .order_by("pk")  # one lock order for every writer: no deadlock between two of them
        .values_list("pk", "program_id")
    )
    if wanted - rows.keys():
        raise ValidationError({"stores": [_("This store does not exist.")]})
    if any(rows[pk] not in (None, program.pk) for pk in wanted):
        raise ProgramExists()
    joined = {pk for pk in wanted if rows[pk] is None}
    left = {pk for pk, program_id in rows.items() if program_id == program.pk} - wanted
    Store.objects.filter(pk__in=joined).update(program=program, updated_at=Now())
    Store.objects.filter(pk__in=left).update(program=None, updated_at=Now())
    for store in stores:  # the caller's copies say it too
        store.program = program
    return joined | left


@transaction.atomic
def create_program(
    *, store: Store | None = None, stores: Sequence[Store] = (), **fields: Any
) -> LoyaltyProgram:
    """Create a programme offered at ``stores`` (or at the one ``store``, the common case);
    ValidationError on bad values, ProgramExists when a store takes part in another programme."""
    stores = [*stores, *([store] if store is not None else [])]
    if not stores:
        raise NoParticipatingStore()
    ids = _split_wallet_ids(fields)
    fields.setdefault("card_name", stores[0].name)
    program = LoyaltyProgram(**fields)
    program.full_clean()
    program.save()
    _take_part(program, stores)
    save_wallet_ids(program, ids)
    announce_after_commit(
        program_changed,
        sender=LoyaltyProgram,
        program_id=program.pk,
        fields=sorted({*fields, *ids}),
    )
    return program


@transaction.atomic
def set_program_stores(*, program: LoyaltyProgram, stores: Sequence[Store]) -> LoyaltyProgram:
    """Offer ``program`` at exactly ``stores`` (at least one). Cards stay with the programme and
    the store where they were enrolled; they are valid at the stores that take part now. The
    passes list the participating stores, so a change is announced (``fields=["stores"]``)."""
    program = LoyaltyProgram.objects.select_for_update().get(pk=program.pk)
    if _take_part(program, stores):
        # The passes' "last modified" (what Apple devices ask about) is the programme's too.
        program.save(update_fields=["updated_at"])
        announce_after_commit(
            program_changed, sender=LoyaltyProgram, program_id=program.pk, fields=["stores"]
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
