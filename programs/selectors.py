from __future__ import annotations

from django.db.models import QuerySet

from programs.models import LoyaltyProgram, Store
from programs.wallet_ids import wallet_id_relations


def program_queryset(*, store: Store | None = None) -> QuerySet[LoyaltyProgram]:
    """Programmes visible to a caller restricted to ``store`` (None: every store)."""
    qs = LoyaltyProgram.objects.select_related("store", *wallet_id_relations()).order_by(
        "store__name", "pk"
    )
    if store is not None:
        qs = qs.filter(store=store)
    return qs
