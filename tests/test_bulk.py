"""common.bulk.update_rows: many rows, one statement, every column type it meets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from common.bulk import update_rows
from tests.cards.helpers import new_card
from tests.conftest import Loyalty
from wallets.models import WalletPass

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values_in_one_statement(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        passes = [
            WalletPass.objects.create(card=new_card(loyalty, email=f"b{index}@example.com"))
            for index in range(3)
        ]
        moment = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)
        passes[0].message_text = "It's 'quoted' -- and; odd"
        passes[0].google_notified_at = ["2026-12-02T14:00:00+00:00"]
        passes[0].message_at = moment
        passes[1].message_text = "Zweite"
        passes[1].google_notified_at = []
        passes[1].message_at = None
        passes[2].message_text = ""
        passes[2].google_notified_at = [{"nested": [1, 2]}]
        passes[2].message_at = moment + dt.timedelta(seconds=1)
        with CaptureQueriesContext(connection) as queries:
            changed = update_rows(passes, ["message_text", "google_notified_at", "message_at"])
        assert changed == 3
        assert len([q for q in queries if q["sql"].startswith("UPDATE")]) == 1
        stored = {p.pk: p for p in WalletPass.objects.filter(pk__in=[p.pk for p in passes])}
    assert stored[passes[0].pk].message_text == "It's 'quoted' -- and; odd"
    assert stored[passes[0].pk].google_notified_at == ["2026-12-02T14:00:00+00:00"]
    assert stored[passes[0].pk].message_at == moment
    assert stored[passes[1].pk].message_text == "Zweite"
    assert stored[passes[1].pk].message_at is None
    assert stored[passes[2].pk].google_notified_at == [{"nested": [1, 2]}]
