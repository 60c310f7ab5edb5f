"""A programme's Wallet identifiers (SPEC §2: Google issuer ID, Apple pass type ID; empty means
the platform's), read and written with the rest of the programme.

``wallets`` keeps them, and sits above ``programs``: this module is the seam through which the
programme's services, API and back office reach them without importing ``wallets``, which
registers its store in ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from programs.models import LoyaltyProgram

WALLET_ID_FIELDS = ("google_issuer_id", "apple_pass_type_id")


class WalletIdStore(Protocol):
    def read(self, program: LoyaltyProgram) -> dict[str, str]:
        """Every one of WALLET_ID_FIELDS ("" when the programme has none of its own)."""
        ...

    def write(self, program: LoyaltyProgram, values: Mapping[str, str]) -> None:
        """Store some of WALLET_ID_FIELDS; ValidationError (keyed by field) on bad values."""
        ...

    def related(self) -> tuple[str, ...]:
        """Relations to load with programmes, so that ``read`` needs no query of its own."""
        ...


_store: WalletIdStore | None = None


def register_wallet_id_store(store: WalletIdStore | None) -> None:
    global _store
    _store = store


def wallet_ids(program: LoyaltyProgram) -> dict[str, str]:
    if _store is None:
        return dict.fromkeys(WALLET_ID_FIELDS, "")
    return _store.read(program)


def save_wallet_ids(program: LoyaltyProgram, values: Mapping[str, str]) -> None:
    if not values:
        return
    if _store is None:
        raise ImproperlyConfigured(
            "No store for programme Wallet identifiers: is wallets installed?"
        )
    _store.write(program, values)


def wallet_id_relations() -> tuple[str, ...]:
    return _store.related() if _store is not None else ()
