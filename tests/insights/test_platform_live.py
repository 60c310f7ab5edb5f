"""The platform's figures follow real operations: a stamp through the vendor API, committed,
announces the card's change, and the merchant's roll-up runs at the end of the coalescing window
(on a background thread without a broker, as in development); a burst is one roll-up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from insights.receivers import THREAD_PREFIX
from merchants.models import MerchantFigures, ProgramDirectory
from programs.models import LoyaltyProgram
from programs.services import update_program
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty
from tests.wallets.helpers import eventually


def rollups() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]


def settle_rollups() -> None:
    for thread in rollups():
        thread.join(15)


@pytest.fixture(autouse=True)
def _rollups_end_with_the_test() -> Iterator[None]:
    yield
    settle_rollups()  # before committed_db drops the merchant


def figures(loyalty: Loyalty) -> MerchantFigures | None:
    connection.set_schema_to_public()
    return MerchantFigures.objects.filter(merchant=loyalty.merchant).first()


def test_a_stamp_through_the_api_updates_the_rolled_up_figures(
    committed_loyalty: Loyalty,
) -> None:
    card = new_card(committed_loyalty)
    assert eventually(lambda: (row := figures(committed_loyalty)) is not None and row.cards == 1)
    assert figures(committed_loyalty).operations_30_days == 0

    assert stamp(committed_loyalty, card, quantity=2).status_code == 201
    assert eventually(
        lambda: (row := figures(committed_loyalty)) is not None and row.operations_30_days == 1
    )
    row = figures(committed_loyalty)
    assert (row.stamps_30_days, row.active_cards_30_days) == (2, 1)
    assert row.last_operation_at is not None


def test_a_burst_of_stamps_is_one_rollup(committed_loyalty: Loyalty, settings: Any) -> None:
    with schema_context(committed_loyalty.merchant.schema_name):
        LoyaltyProgram.objects.update(cooldown_minutes=0)
    cards = [new_card(committed_loyalty, email=f"c{n}@example.com") for n in range(5)]
    settle_rollups()
    settings.PLATFORM_ROLLUP_COALESCE_SECONDS = 1.5

    for card in cards:
        assert stamp(committed_loyalty, card).status_code == 201
    assert len(rollups()) == 1  # queued by the first stamp; the others found its marker
    settle_rollups()
    assert figures(committed_loyalty).operations_30_days == 5

    # The marker went with the roll-up: the next change rolls up again.
    assert stamp(committed_loyalty, cards[0]).status_code == 201
    assert eventually(lambda: figures(committed_loyalty).operations_30_days == 6)


def test_a_programme_change_reaches_the_directory(committed_loyalty: Loyalty) -> None:
    with schema_context(committed_loyalty.merchant.schema_name):
        update_program(program=committed_loyalty.points_program, is_active=False)

    def switched_off() -> bool:
        connection.set_schema_to_public()
        row = ProgramDirectory.objects.filter(
            merchant=committed_loyalty.merchant, program_id=committed_loyalty.points_program.pk
        ).first()
        return row is not None and not row.is_active

    assert eventually(switched_off)
