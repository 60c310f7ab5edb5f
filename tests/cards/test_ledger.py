"""The ledger: audit fields, append-only, filters and CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.models import LoyaltyTransaction
from programs.models import LoyaltyProgram
from tests.cards.helpers import new_card, points, stamp
from tests.conftest import Loyalty

pytestmark = pytest.mark.django_db

URL = "/api/v1/vendor/loyalty/transactions"


@pytest.fixture
def history(loyalty: Loyalty) -> dict:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(pk=loyalty.stamps_program.pk).update(cooldown_minutes=0)
    jane = new_card(loyalty)
    joe = new_card(loyalty, email="joe@example.com")
    baker = new_card(loyalty, "bakery", email="baker@example.com")
    stamp(loyalty, jane)
    stamp(loyalty, jane, notes='=HYPERLINK("http://evil")')
    stamp(loyalty, joe)
    points(loyalty, baker, 2000)
    return {"jane": jane, "joe": joe, "baker": baker}


def test_transactions_are_listed_newest_first_with_pagination(
    loyalty: Loyalty, history: dict
) -> None:
    body = loyalty.api().get(f"{URL}?limit=3").json()
    assert body["count"] == 4
    assert [t["transaction_type"] for t in body["results"]] == [
        "points_earned",
        "stamp_earned",
        "stamp_earned",
    ]


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("card_number={jane}", 2),
        ("store_code=bakery", 1),
        ("transaction_type=points_earned", 1),
        ("transaction_type=stamp_earned&transaction_type=points_earned", 4),
        ("since={past}", 4),
        ("until={past}", 0),
        ("since={future}", 0),
    ],
)
def test_transactions_are_filtered(loyalty: Loyalty, history: dict, query: str, count: int) -> None:
    now = timezone.now()
    query = query.format(
        jane=history["jane"].card_number,
        past=(now - timedelta(hours=1)).isoformat().replace("+", "%2B"),
        future=(now + timedelta(hours=1)).isoformat().replace("+", "%2B"),
    )
    assert loyalty.api().get(f"{URL}?{query}").json()["count"] == count


@pytest.mark.parametrize("query", ["transaction_type=gift", "since=yesterday"])
def test_bad_filters_are_400(loyalty: Loyalty, query: str) -> None:
    response = loyalty.api().get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_store_key_sees_its_store_only(loyalty: Loyalty, history: dict) -> None:
    body = loyalty.api(loyalty.stamps_store_key).get(URL).json()
    assert body["count"] == 3
    assert {t["store_code"] for t in body["results"]} == {"main"}


def test_csv_export(loyalty: Loyalty, history: dict) -> None:
    response = loyalty.api().get(f"{URL}?format=csv&store_code=main")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "created_at", "card_number", "store_code"]
    assert len(rows) == 4
    assert {row[2] for row in rows[1:]} == {history["jane"].card_number, history["joe"].card_number}
    notes = [row[-1] for row in rows[1:] if row[-1]]
    assert notes == ['\'=HYPERLINK("http://evil")']  # not a formula in a spreadsheet


def test_every_row_carries_its_audit_trail(loyalty: Loyalty, settings) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    from common.request_meta import _trusted_networks

    _trusted_networks.cache_clear()
    try:
        card = new_card(loyalty)
        stamp(loyalty, card, headers={"x-forwarded-for": "198.51.100.7", "user-agent": "POS/9"})
    finally:
        _trusted_networks.cache_clear()
    with schema_context(loyalty.merchant.schema_name):
        row = LoyaltyTransaction.objects.get()
    assert (row.ip_address, row.user_agent, row.source) == ("198.51.100.7", "POS/9", "api")
    assert row.staff_pin_id == loyalty.stamps_pin_id


def test_a_forged_forwarded_for_is_ignored_without_a_trusted_proxy(loyalty: Loyalty) -> None:
    stamp(loyalty, new_card(loyalty), headers={"x-forwarded-for": "198.51.100.7"})
    with schema_context(loyalty.merchant.schema_name):
        assert LoyaltyTransaction.objects.get().ip_address == "127.0.0.1"


def test_the_database_refuses_to_change_or_delete_ledger_rows(loyalty: Loyalty) -> None:
    stamp(loyalty, new_card(loyalty))
    with schema_context(loyalty.merchant.schema_name):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LoyaltyTransaction.objects.update(stamps_delta=100)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            LoyaltyTransaction.objects.all().delete()
        assert LoyaltyTransaction.objects.get().stamps_delta == 1


def test_the_api_offers_no_way_to_change_the_ledger(loyalty: Loyalty, history: dict) -> None:
    api = loyalty.api()
    for method in (api.put, api.patch, api.delete):
        assert method(URL).status_code == 405
