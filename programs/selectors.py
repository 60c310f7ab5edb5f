from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from programs.exceptions import ProgramInactive, StoreInactive, StoreNotFound
from programs.models import LoyaltyProgram, Store, normalise_store_code
from programs.wallet_ids import wallet_id_relations


def program_queryset(*, store: Store | None = None) -> QuerySet[LoyaltyProgram]:
    """Programmes visible to a caller restricted to ``store`` (None: every store)."""
    qs = LoyaltyProgram.objects.select_related("store", *wallet_id_relations()).order_by(
        "store__name", "pk"
    )
    if store is not None:
        qs = qs.filter(store=store)
    return qs


def store_by_code(code: str) -> Store | None:
    """The store with this code however it was typed (a link, a form, an API body), or None."""
    return Store.objects.filter(code=normalise_store_code(code)).first()


def store_for_caller(*, code: str, restricted_to: Store | None) -> Store:
    """The store an API body names, for a caller whose key may be limited to one store.

    A key limited to a store may only name that store; another store's code is refused exactly as
    an unknown one, so the key does not learn which codes exist elsewhere.
    """
    store = store_by_code(code)
    if store is None or (restricted_to is not None and restricted_to != store):
        raise ValidationError({"store_code": [StoreNotFound.default_message]})
    return store


def membership_refusal(
    *, store: Store, program: LoyaltyProgram | None
) -> StoreInactive | ProgramInactive | None:
    """Why ``store`` (whose programme is ``program``) takes no new members now; None if it does."""
    if not store.is_active:
        return StoreInactive()
    if program is None or not program.is_active:
        return ProgramInactive()
    return None
