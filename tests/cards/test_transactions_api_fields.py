"""The ledger list in the API names each row's card and the request it came from, like the CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from cards.models import LoyaltyTransaction, TransactionSource, TransactionType
from programs.models import LoyaltyProgram
from tests.cards.helpers import new_card, points, stamp
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/vendor/loyalty/transactions"


@pytest.fixture
def no_cooldown(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.update(cooldown_minutes=0)


def test_each_row_names_its_card_address_and_user_agent(loyalty: Loyalty, no_cooldown) -> None:
    jane = new_card(loyalty)
    baker = new_card(loyalty, "bakery", email="baker@example.com")
    stamp(loyalty, jane, headers={"user-agent": "Till/2.1"})
    points(loyalty, baker, 1500)

    rows = loyalty.api().get(URL).json()["results"]

    assert [(r["card_number"], r["store_code"]) for r in rows] == [
        (baker.card_number, "bakery"),
        (jane.card_number, "main"),
    ]
    assert {r["ip_address"] for r in rows} == {"127.0.0.1"}
    assert rows[1]["user_agent"] == "Till/2.1"
    assert rows[0]["user_agent"] == ""  # the test client sends none


def test_the_api_and_the_csv_agree(loyalty: Loyalty, no_cooldown) -> None:
    card = new_card(loyalty)
    stamp(loyalty, card, headers={"user-agent": "POS/9"})
    api = loyalty.api()

    row = api.get(URL).json()["results"][0]
    export = api.get(f"{URL}?format=csv")
    header, line = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))

    as_csv = dict(zip(header, line, strict=True))
    for field in ("card_number", "ip_address", "user_agent"):
        assert as_csv[field] == row[field], field
    assert row["card_number"] == card.card_number


def test_the_card_filter_still_narrows_and_rows_show_that_card(
    loyalty: Loyalty, no_cooldown
) -> None:
    jane = new_card(loyalty)
    joe = new_card(loyalty, email="joe@example.com")
    stamp(loyalty, jane)
    stamp(loyalty, joe)
    stamp(loyalty, joe)

    body = loyalty.api(loyalty.read_key).get(f"{URL}?card_number={joe.card_number}").json()

    assert body["count"] == 2
    assert {r["card_number"] for r in body["results"]} == {joe.card_number}


def test_rows_for_operations_without_a_request_have_no_address(
    loyalty: Loyalty, no_cooldown
) -> None:
    card = new_card(loyalty, "bakery", email="baker@example.com")
    with schema_context(loyalty.merchant.schema_name):
        # As a system operation (an expiry, a back-office correction) writes it: no request.
        LoyaltyTransaction.objects.create(
            card=card,
            store=loyalty.points_store,
            transaction_type=TransactionType.ADJUSTMENT,
            source=TransactionSource.SYSTEM,
        )
    row = loyalty.api().get(URL).json()["results"][0]
    assert row["ip_address"] is None
    assert row["user_agent"] == ""


def test_listing_costs_the_same_queries_for_two_rows_or_twelve(
    loyalty: Loyalty, no_cooldown
) -> None:
    api = loyalty.api()
    cards = [new_card(loyalty, email=f"c{i}@example.com") for i in range(6)]
    for card in cards[:2]:
        stamp(loyalty, card)
    api.get(URL)  # warm the host and key caches
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(URL).json()["results"]) == 2

    for card in cards:
        stamp(loyalty, card)
        stamp(loyalty, card)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(URL).json()["results"]) == 14

    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_schema_documents_the_new_fields(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).get("/api/schema/?format=json")
    schema = json.loads(response.content)
    ok = schema["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]
    ref = ok["schema"]["$ref"].rsplit("/", 1)[-1]
    page = schema["components"]["schemas"][ref]["properties"]["results"]["items"]["$ref"]
    row = schema["components"]["schemas"][page.rsplit("/", 1)[-1]]
    assert {"card_number", "ip_address", "user_agent"} <= set(row["required"])
    assert row["properties"]["ip_address"]["nullable"] is True
    assert "personal data" in row["properties"]["user_agent"]["description"]
