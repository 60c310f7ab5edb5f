"""Reads on staff that carry rules: which stores a signed-in user may work at."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from programs.models import Store
from staff.models import Cashier


def terminal_stores(*, user: Any) -> QuerySet[Store]:
    """The active stores ``user``'s counter terminal offers: a cashier's own stores when they
    have any, otherwise every active store (owners, and cashiers for every store)."""
    stores = Store.objects.filter(is_active=True).order_by("name")
    cashier = Cashier.objects.filter(user_id=user.pk).first()
    if cashier is not None and cashier.stores.exists():
        return stores.filter(cashiers=cashier)
    return stores


def is_cashier(user: Any) -> bool:
    """A signed-in, active user of the counter terminal who is not a back-office user."""
    return bool(user.is_authenticated and user.is_active and not user.is_staff)
