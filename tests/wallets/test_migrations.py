"""Moving the wallet identifiers into ``wallets`` keeps every card's and programme's values:
migrations run for real on a merchant's schema, backwards to before the move and forwards again."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyCard
from merchants.models import Merchant
from wallets.models import ProgramWallet, WalletPass

pytestmark = pytest.mark.django_db

# Unapplying wallets also unapplies what depends on it: the removal of the old columns.
BEFORE_THE_MOVE = [("wallets", None)]


def _migrate(targets: list[tuple[str, str | None]]) -> Any:
    executor = MigrationExecutor(connection)
    state = executor.migrate(targets)
    executor.loader.build_graph()
    return state.apps


def _latest() -> list[tuple[str, str | None]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _old_cards(apps: Any, merchant_slug: str) -> dict[str, Any]:
    """Two cards and a programme with wallet values in their old columns."""
    store = apps.get_model("programs", "Store").objects.create(name="Main", code="main")
    program = apps.get_model("programs", "LoyaltyProgram").objects.create(
        store=store,
        card_name="Coffee",
        google_issuer_id="3388000000099999999",
        apple_pass_type_id="pass.example.own",
    )
    customer_model = apps.get_model("cards", "Customer")
    card_model = apps.get_model("cards", "LoyaltyCard")
    cards = {}
    for number, serial in enumerate(["a" * 32, "b" * 32]):
        customer = customer_model.objects.create(name="Jo", email=f"jo{number}@example.com")
        cards[serial] = card_model.objects.create(
            customer=customer,
            program=program,
            store=store,
            card_number=f"4000000000{number}",
            qr_code_data=f"4000000000{number}",
            apple_serial_number=serial,
            apple_auth_token=f"token-{serial}-{merchant_slug}",
            google_object_id=f"3388000000012345678.card-{number}",
        )
    # Fire the deferred foreign-key checks now: PostgreSQL refuses ALTER TABLE while they pend.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return cards


def test_the_move_keeps_every_cards_serial_and_token_and_can_be_undone(
    merchant: Merchant,
) -> None:
    with schema_context(merchant.schema_name):
        old_apps = _migrate(BEFORE_THE_MOVE)
        cards = _old_cards(old_apps, merchant.slug)

        _migrate(_latest())

        passes = {p.card_id: p for p in WalletPass.objects.all()}
        assert len(passes) == 2
        for serial, old in cards.items():
            moved = passes[old.pk]
            assert moved.apple_serial_number == serial
            assert moved.apple_auth_token == old.apple_auth_token
            assert moved.google_object_id == old.google_object_id
        wallet = ProgramWallet.objects.get()
        assert (wallet.google_issuer_id, wallet.apple_pass_type_id) == (
            "3388000000099999999",
            "pass.example.own",
        )

        # Cards made after the move have no pass until a link needs one.
        first = LoyaltyCard.objects.get(pk=next(iter(cards.values())).pk)
        for number in range(2):
            customer = Customer.objects.create(name="Al", email=f"al{number}@example.com")
            LoyaltyCard.objects.create(customer=customer, program=first.program, store=first.store)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        # Backwards: the values go back to their old columns; cards without a pass get fresh ones
        # (the serial number column is unique again).
        back_apps = _migrate(BEFORE_THE_MOVE)
        card_model = back_apps.get_model("cards", "LoyaltyCard")
        restored = dict(card_model.objects.values_list("apple_serial_number", "apple_auth_token"))
        assert len(restored) == 4
        for serial, old in cards.items():
            assert restored.pop(serial) == old.apple_auth_token
        assert all(len(serial) == 32 and len(token) >= 16 for serial, token in restored.items())
        program = back_apps.get_model("programs", "LoyaltyProgram").objects.get()
        assert program.apple_pass_type_id == "pass.example.own"

        _migrate(_latest())
        serials = set(WalletPass.objects.values_list("apple_serial_number", flat=True))
        assert serials >= set(cards) and len(serials) == 4
