"""Writes on credentials: API keys and staff PINs (with their lockout).

Never imports ``cards``: the engine asks this app to check a PIN, not the reverse."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.ttl_cache import TTLCache
from programs.models import Store
from staff.exceptions import PinInvalid, PinLocked
from staff.models import ApiKey, ApiScope, Cashier, StaffPin
from staff.pins import PIN_PROBLEMS, hash_pin, pin_matches, pin_problem

KEY_PREFIX = "lk_"
# Keys by (schema, prefix): every API request needs one, and they change only when created or
# revoked. The secret is still checked against the stored hash on every request.
_api_keys: TTLCache[ApiKey | None] = TTLCache(seconds=settings.API_KEY_CACHE_SECONDS)
# last_used_at is written at most this often per key: a busy POS must not turn every read into a
# write on the same row.
LAST_USED_PRECISION = timedelta(minutes=1)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_key(
    *, name: str, scopes: list[str], store: Store | None = None
) -> tuple[ApiKey, str]:
    """Create a key; return it with the full secret, which is shown once and never stored."""
    scopes = sorted(set(scopes))
    if not scopes or any(scope not in ApiScope.values for scope in scopes):
        raise ValidationError(
            {
                "scopes": _("Choose at least one of: %(scopes)s.")
                % {"scopes": ", ".join(ApiScope.values)}
            }
        )
    if not name.strip():
        raise ValidationError({"name": _("Give the key a name, e.g. “Wizamart”.")})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name.strip(),
        prefix=prefix,
        secret_hash=_hash_secret(secret),
        store=store,
        scopes=scopes,
    )
    return key, f"{KEY_PREFIX}{prefix}_{secret}"


def revoke_api_key(*, key: ApiKey) -> ApiKey:
    """Revoke a key: at once in this process, within API_KEY_CACHE_SECONDS everywhere."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    _api_keys.invalidate((connection.schema_name, key.prefix))
    return key


def authenticate_api_key(raw: str) -> ApiKey | None:
    """The active key in the current merchant's schema matching ``raw``, or None."""
    if not raw.startswith(KEY_PREFIX):
        return None
    prefix, _sep, secret = raw[len(KEY_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    key = _api_keys.get_or_load(
        (connection.schema_name, prefix),
        lambda: ApiKey.objects.active().select_related("store").filter(prefix=prefix).first(),
    )
    if key is None or not hmac.compare_digest(key.secret_hash, _hash_secret(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- Staff PINs


def _check_new_pin(*, pin: str) -> None:
    # No uniqueness rule within a store: each staff member is chosen before the PIN is checked
    # against theirs alone, and refusing a PIN "already in use" would tell a key holder another
    # person's PIN without counting an attempt.
    problem = pin_problem(pin)
    if problem:
        raise ValidationError({"pin": ValidationError(PIN_PROBLEMS[problem], code=problem)})


@transaction.atomic
def create_staff_pin(*, store: Store, name: str, pin: str) -> StaffPin:
    Store.objects.select_for_update().filter(pk=store.pk).first()
    if not name.strip():
        raise ValidationError({"name": _("Give the staff member a name.")})
    if StaffPin.objects.filter(store=store, name=name.strip(), is_active=True).exists():
        raise ValidationError({"name": _("This store already has a staff member with this name.")})
    _check_new_pin(pin=pin)
    return StaffPin.objects.create(store=store, name=name.strip(), pin_hash=hash_pin(pin))


@transaction.atomic
def update_staff_pin(
    *,
    staff_pin: StaffPin,
    name: str | None = None,
    pin: str | None = None,
    is_active: bool | None = None,
    unlock: bool = False,
) -> StaffPin:
    Store.objects.select_for_update().filter(pk=staff_pin.store_id).first()
    staff_pin = StaffPin.objects.select_for_update().get(pk=staff_pin.pk)
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": _("Give the staff member a name.")})
        staff_pin.name = name.strip()
    if is_active is not None:
        staff_pin.is_active = is_active
    if pin is not None:
        _check_new_pin(pin=pin)
        staff_pin.pin_hash = hash_pin(pin)
    if unlock or pin is not None:
        staff_pin.failed_attempts = 0
        staff_pin.locked_until = None
    if (
        staff_pin.is_active
        and StaffPin.objects.filter(
            store_id=staff_pin.store_id, name=staff_pin.name, is_active=True
        )
        .exclude(pk=staff_pin.pk)
        .exists()
    ):
        raise ValidationError({"name": _("This store already has a staff member with this name.")})
    staff_pin.save()
    return staff_pin


def deactivate_staff_pin(*, staff_pin: StaffPin) -> StaffPin:
    """PINs are never deleted: the ledger keeps pointing at who did what."""
    return update_staff_pin(staff_pin=staff_pin, is_active=False)


@dataclass(frozen=True)
class PinCheck:
    staff_pin: StaffPin | None
    error: PinInvalid | PinLocked | None


def verify_staff_pin(  # type: ignore[no-untyped-def]
    *, staff_pin_id: int, pin: str, store: Store | None, now, program_id: int | None = None
) -> PinCheck:
    """Check a PIN for an operation at ``store``, counting failures toward the lockout. With no
    ``store`` (a caller valid at every store), the operation happens at the PIN's own store
    (``staff_pin.store``, loaded), which must take part in the programme ``program_id``.

    Must run inside the caller's transaction: the PIN row is locked, so parallel guesses are
    evaluated one at a time and none gets past the limit. A refusal is *returned*, not raised, so
    that the caller commits the failure count before refusing the operation.
    """
    try:
        staff_pin = (
            StaffPin.objects.select_for_update(of=("self",))
            .select_related("store")
            .get(pk=staff_pin_id, is_active=True)
        )
    except StaffPin.DoesNotExist:
        staff_pin = None
    if staff_pin is None or (
        staff_pin.store_id != store.pk
        if store is not None
        else staff_pin.store.program_id != program_id
    ):
        # Not evaluated (unknown, inactive or another store's PIN): nothing to count.
        return PinCheck(None, PinInvalid())
    if staff_pin.is_locked(now):
        return PinCheck(
            None, PinLocked(locked_until=staff_pin.locked_until, time_zone=staff_pin.store.timezone)
        )
    if not pin_matches(staff_pin.pin_hash, pin):
        staff_pin.failed_attempts += 1
        fields = ["failed_attempts"]
        if staff_pin.failed_attempts >= settings.STAFF_PIN_MAX_ATTEMPTS:
            staff_pin.locked_until = now + timedelta(minutes=settings.STAFF_PIN_LOCKOUT_MINUTES)
            staff_pin.failed_attempts = 0
            fields.append("locked_until")
            staff_pin.save(update_fields=fields)
            return PinCheck(
                None,
                PinLocked(locked_until=staff_pin.locked_until, time_zone=staff_pin.store.timezone),
            )
        staff_pin.save(update_fields=fields)
        remaining = settings.STAFF_PIN_MAX_ATTEMPTS - staff_pin.failed_attempts
        return PinCheck(None, PinInvalid(attempts_remaining=remaining))
    if staff_pin.failed_attempts or _stale(staff_pin.last_used_at, now):
        staff_pin.failed_attempts = 0
        staff_pin.last_used_at = now
        staff_pin.save(update_fields=["failed_attempts", "last_used_at"])
    return PinCheck(staff_pin, None)


def _stale(moment, now) -> bool:  # type: ignore[no-untyped-def]
    return moment is None or now - moment >= LAST_USED_PRECISION


# --- Cashiers: users of the counter terminal, not of the back office


def _check_cashier_password(*, password: str, user: Any) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error


@transaction.atomic
def create_cashier(
    *, name: str, username: str, password: str, stores: Iterable[Store] = ()
) -> Cashier:
    """A cashier: a user who may sign in to the counter terminal (``/staff/``) at ``stores``
    (none: every store) and never to the back office (``is_staff`` False, no permissions)."""
    user_model = get_user_model()
    username = username.strip()
    taken = ValidationError(
        {"username": _("This username is taken. Please choose another.")}, code="taken"
    )
    if user_model.objects.filter(username__iexact=username).exists():
        raise taken
    first_name, _sep, last_name = name.strip().partition(" ")
    user = user_model(username=username, first_name=first_name, last_name=last_name, is_staff=False)
    _check_cashier_password(password=password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # The same username saved meanwhile (a form sent twice): the unique constraint decides.
        raise taken from error
    cashier = Cashier.objects.create(user=user)
    cashier.stores.set(stores)
    return cashier


@transaction.atomic
def update_cashier(
    *,
    cashier: Cashier,
    stores: Iterable[Store] | None = None,
    password: str | None = None,
    is_active: bool | None = None,
) -> Cashier:
    """Change a cashier's stores, give them a new password, or (de)activate their account (an
    inactive cashier cannot sign in; their sessions end with the password check)."""
    user = cashier.user
    fields = []
    if password:
        _check_cashier_password(password=password, user=user)
        user.set_password(password)
        fields.append("password")
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        fields.append("is_active")
    if fields:
        user.save(update_fields=fields)
    if stores is not None:
        cashier.stores.set(stores)
    cashier.save(update_fields=["updated_at"])
    return cashier
