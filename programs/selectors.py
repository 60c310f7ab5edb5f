from __future__ import annotations

from django.db.models import QuerySet

from programs.models import LoyaltyProgram, Store


def program_queryset(*, store: Store | None = None) -> QuerySet[LoyaltyProgram]:
    """Programmes visible to a caller restricted to ``store`` (None: every store)."""
    qs = LoyaltyProgram.objects.select_related("store").order_by("store__name", "pk")
    if store is not None:
        qs = qs.filter(store=store)
    return qs
