"""After commit, the engine and the programme services announce what changed; listeners (wallets,
later analytics and webhooks) cannot break a committed operation. Real commits: on_commit hooks
run as they do in production."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.dispatch import Signal
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard, LoyaltyTransaction
from cards.services import set_card_active, update_customer
from cards.signals import card_changed, card_deactivated
from programs.models import LoyaltyProgram
from programs.services import update_program
from programs.signals import program_changed
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture
def heard() -> Iterator[list[tuple[Signal, dict[str, Any]]]]:
    """Every announcement made during the test, in order."""
    calls: list[tuple[Signal, dict[str, Any]]] = []
    receivers = {}
    for signal in (card_changed, card_deactivated, program_changed):

        def receiver(sender: type, signal: Signal = signal, **kwargs: Any) -> None:
            kwargs.pop("signal", None)
            calls.append((signal, kwargs))

        signal.connect(receiver, weak=False)
        receivers[signal] = receiver
    yield calls
    for signal, receiver in receivers.items():
        signal.disconnect(receiver)


def _broken_listener(sender: type, **kwargs: Any) -> None:
    raise RuntimeError("the wallet service is down")


def test_a_failing_listener_never_fails_a_committed_stamp(
    committed_loyalty: Loyalty, heard: list, caplog: pytest.LogCaptureFixture
) -> None:
    card = new_card(committed_loyalty)
    card_changed.connect(_broken_listener)
    try:
        with caplog.at_level(logging.ERROR, logger="announcements"):
            response = stamp(committed_loyalty, card)
    finally:
        card_changed.disconnect(_broken_listener)

    assert response.status_code == 201
    with schema_context(committed_loyalty.merchant.schema_name):
        assert LoyaltyTransaction.objects.filter(card=card).count() == 1
        assert LoyaltyCard.objects.get(pk=card.pk).stamp_count == 1
    assert "the wallet service is down" in caplog.text
    # The other listeners still heard it.
    assert heard[-1][0] is card_changed


def test_a_stamp_is_announced_with_its_ledger_row(committed_loyalty: Loyalty, heard: list) -> None:
    card = new_card(committed_loyalty)
    assert heard == [
        (card_changed, {"card_id": card.pk, "transaction_id": None, "reason": "enrolled"})
    ]

    response = stamp(committed_loyalty, card)

    assert heard[-1] == (
        card_changed,
        {
            "card_id": card.pk,
            "transaction_id": response.json()["transaction"]["id"],
            "reason": "stamp_earned",
        },
    )


def test_a_refused_operation_announces_nothing(committed_loyalty: Loyalty, heard: list) -> None:
    card = new_card(committed_loyalty)
    assert stamp(committed_loyalty, card).status_code == 201
    before = len(heard)

    assert stamp(committed_loyalty, card).json()["code"] == "cooldown_active"

    assert len(heard) == before


def test_blocking_a_card_is_announced(committed_loyalty: Loyalty, heard: list) -> None:
    card = new_card(committed_loyalty)
    with schema_context(committed_loyalty.merchant.schema_name):
        set_card_active(card=card, active=False)
        set_card_active(card=card, active=False)  # already blocked: nothing new
        set_card_active(card=card, active=True)

    assert heard[1:] == [
        (card_deactivated, {"card_id": card.pk}),
        (card_changed, {"card_id": card.pk, "transaction_id": None, "reason": "reactivated"}),
    ]
    assert stamp(committed_loyalty, card).status_code == 201


def test_a_blocked_card_takes_nothing(committed_loyalty: Loyalty) -> None:
    card = new_card(committed_loyalty)
    with schema_context(committed_loyalty.merchant.schema_name):
        set_card_active(card=card, active=False)
    assert stamp(committed_loyalty, card).json()["code"] == "card_inactive"


def test_a_programme_change_is_announced_with_the_fields_that_changed(
    committed_loyalty: Loyalty, heard: list
) -> None:
    with schema_context(committed_loyalty.merchant.schema_name):
        program = LoyaltyProgram.objects.get(pk=committed_loyalty.stamps_program.pk)
        update_program(program=program, card_name="Coffee Club", card_color="#112233")
        update_program(program=program, card_name="Coffee Club")  # no real change
        update_program(program=program, is_active=False)

    assert heard == [
        (program_changed, {"program_id": program.pk, "fields": ["card_color", "card_name"]}),
        (program_changed, {"program_id": program.pk, "fields": ["is_active"]}),
    ]


def test_renaming_a_customer_announces_each_of_their_cards(
    committed_loyalty: Loyalty, heard: list
) -> None:
    card = new_card(committed_loyalty)
    with schema_context(committed_loyalty.merchant.schema_name):
        update_customer(customer_id=card.customer_id, phone="+352 621 000 000")
        assert len(heard) == 1  # the phone is not on the card: nothing to announce
        update_customer(customer_id=card.customer_id, name="Ada Renamed")

    assert heard[1:] == [
        (
            card_changed,
            {"card_id": card.pk, "transaction_id": None, "reason": "customer_renamed"},
        )
    ]
