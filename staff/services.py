"""Writes on credentials. Never imports ``cards``: the engine asks this app, not the reverse."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from programs.models import Store
from staff.models import ApiKey, ApiScope

KEY_PREFIX = "lk_"
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
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    return key


def authenticate_api_key(raw: str) -> ApiKey | None:
    """The active key in the current merchant's schema matching ``raw``, or None."""
    if not raw.startswith(KEY_PREFIX):
        return None
    prefix, _sep, secret = raw[len(KEY_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    key = ApiKey.objects.active().select_related("store").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash_secret(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
