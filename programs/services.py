"""Writes on stores (and, from the programmes issue on, loyalty programmes)."""

from __future__ import annotations

from django.db import transaction

from programs.models import Store


@transaction.atomic
def create_store(
    *,
    name: str,
    code: str,
    address: str = "",
    timezone: str = "Europe/Luxembourg",
    is_active: bool = True,
) -> Store:
    """Create a store; raises ValidationError with field errors on bad input."""
    store = Store(
        name=name,
        code=code.strip().lower(),
        address=address,
        timezone=timezone,
        is_active=is_active,
    )
    store.full_clean()
    store.save()
    return store
