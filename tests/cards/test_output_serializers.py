"""Response serializers copy their fields cheaply (OutputSerializer) and still render exactly
what DRF's own deep-copying Serializer renders, with each request's own context."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context
from rest_framework import serializers

from cards.api.serializers import CardDetailOutput, CardOutput, OperationOutput
from cards.models import LoyaltyTransaction
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty

pytestmark = pytest.mark.django_db


def _request(host: str) -> SimpleNamespace:
    return SimpleNamespace(tenant=SimpleNamespace(domain_url=host))


def _as_drf_would(output: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The same declared fields under DRF's stock get_fields (a deep copy per instance)."""
    return type(
        f"Stock{output.__name__}",
        (output,),
        {"get_fields": lambda self: serializers.Serializer.get_fields(self)},
    )


def test_responses_match_drfs_and_follow_each_requests_host(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    assert stamp(loyalty, card).status_code == 201
    with schema_context(loyalty.merchant.schema_name):
        txn = LoyaltyTransaction.objects.select_related(
            "card__program", "card__store", "store"
        ).get()
        card = txn.card
        card.recent = [txn]
        for output, instance in [
            (CardOutput, card),
            (CardDetailOutput, card),
            (OperationOutput, {"transaction": txn, "card": card}),
        ]:
            for host in ("alpha.localhost", "shop.example.com", "alpha.localhost"):
                context = {"request": _request(host)}
                ours = output(instance, context=context).data
                assert ours == _as_drf_would(output)(instance, context=context).data
                page = (ours.get("card") or ours)["card_page_url"]
                assert page.startswith(f"http://{host}:")
