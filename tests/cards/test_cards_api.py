from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.models import LoyaltyTransaction, TransactionSource, TransactionType
from cards.numbers import luhn_check_digit
from cards.services import enroll_customer
from staff.models import ApiKey
from staff.services import revoke_api_key
from tests.conftest import Loyalty, client_for
from tests.wallets.helpers import switch_wallets_on
from wallets.models import WalletPass

pytestmark = pytest.mark.django_db


def _enroll(loyalty: Loyalty, count: int, store_code: str = "main", start: int = 0) -> list:
    with schema_context(loyalty.merchant.schema_name):
        return [
            enroll_customer(
                store_code=store_code, name=f"Customer {i}", email=f"customer{i}@example.com"
            ).card
            for i in range(start, start + count)
        ]


def test_the_card_list_is_paginated_newest_first(loyalty: Loyalty) -> None:
    cards = _enroll(loyalty, 5)
    response = loyalty.api().get("/api/v1/vendor/loyalty/cards?limit=2&offset=1")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert [c["card_number"] for c in body["results"]] == [
        cards[3].card_number,
        cards[2].card_number,
    ]
    assert body["next"] and body["previous"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=customer2%40", [2]),
        ("search=Customer%201", [1]),
        ("store=bakery", [5, 6]),
        ("search=zzz", []),
    ],
)
def test_cards_can_be_searched_and_filtered(loyalty: Loyalty, query: str, expected: list) -> None:
    cards = _enroll(loyalty, 5) + _enroll(loyalty, 2, "bakery", start=5)
    body = loyalty.api().get(f"/api/v1/vendor/loyalty/cards?{query}").json()
    assert sorted(c["card_number"] for c in body["results"]) == sorted(
        cards[i].card_number for i in expected
    )


def test_cards_can_be_found_by_the_start_of_their_number(loyalty: Loyalty) -> None:
    card = _enroll(loyalty, 3)[1]
    typed = f"{card.card_number[:4]} {card.card_number[4:8]}"
    body = loyalty.api().get("/api/v1/vendor/loyalty/cards", {"search": typed}).json()
    assert card.card_number in [c["card_number"] for c in body["results"]]


def test_filter_by_programme(loyalty: Loyalty) -> None:
    _enroll(loyalty, 2)
    points = _enroll(loyalty, 1, "bakery", start=2)
    body = (
        loyalty.api()
        .get(f"/api/v1/vendor/loyalty/cards?program={loyalty.points_program.pk}")
        .json()
    )
    assert [c["card_number"] for c in body["results"]] == [points[0].card_number]


def test_the_card_list_runs_the_same_queries_whatever_the_page_size(loyalty: Loyalty) -> None:
    _enroll(loyalty, 30)
    api = loyalty.api()
    api.get("/api/v1/vendor/loyalty/cards?limit=1")  # the key's last_used_at is written once

    counts = []
    for limit in (1, 10, 30):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/v1/vendor/loyalty/cards?limit={limit}")
        assert len(response.json()["results"]) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
    # At most: host lookup, key lookup, count and page, and two SET search_path (public, merchant).
    assert counts[0] <= 6


def test_a_card_with_its_customer_and_recent_transactions(loyalty: Loyalty) -> None:
    card = _enroll(loyalty, 1)[0]
    with schema_context(loyalty.merchant.schema_name):
        for stamps in range(1, 13):
            LoyaltyTransaction.objects.create(
                card=card,
                store=loyalty.stamps_store,
                transaction_type=TransactionType.STAMP_EARNED,
                stamps_delta=1,
                stamps_after=stamps,
                source=TransactionSource.API,
            )
    spaced = " ".join(card.card_number[i : i + 4] for i in range(0, 12, 4))
    response = loyalty.api().get(f"/api/v1/vendor/loyalty/cards/{spaced}")

    assert response.status_code == 200
    body = response.json()
    assert body["card_number"] == card.card_number
    assert body["customer"]["email"] == "customer0@example.com"
    assert [t["stamps_after"] for t in body["recent_transactions"]] == list(range(12, 2, -1))
    assert body["recent_transactions"][0]["store_code"] == "main"


def test_a_mistyped_card_number_is_refused_before_any_lookup(loyalty: Loyalty) -> None:
    card = _enroll(loyalty, 1)[0]
    wrong_digit = str((int(card.card_number[-1]) + 1) % 10)
    with CaptureQueriesContext(connection) as queries:
        response = loyalty.api().get(
            f"/api/v1/vendor/loyalty/cards/{card.card_number[:-1]}{wrong_digit}"
        )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "card_number" in response.json()["errors"]
    assert not any("cards_loyaltycard" in q["sql"] for q in queries.captured_queries)


def test_swapped_neighbour_digits_are_caught(loyalty: Loyalty) -> None:
    body = "12345678901"
    number = body + luhn_check_digit(body)
    swapped = number[:3] + number[4] + number[3] + number[5:]
    assert loyalty.api().get(f"/api/v1/vendor/loyalty/cards/{swapped}").status_code == 400


def test_an_unknown_valid_number_is_404(loyalty: Loyalty) -> None:
    body = "98765432109"
    response = loyalty.api().get(f"/api/v1/vendor/loyalty/cards/{body}{luhn_check_digit(body)}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_key_restricted_to_one_store_sees_only_that_store(loyalty: Loyalty) -> None:
    main = _enroll(loyalty, 1)[0]
    bakery = _enroll(loyalty, 1, "bakery", start=1)[0]
    api = loyalty.api(loyalty.stamps_store_key)

    listed = api.get("/api/v1/vendor/loyalty/cards").json()["results"]
    assert [c["card_number"] for c in listed] == [main.card_number]
    assert api.get(f"/api/v1/vendor/loyalty/cards/{main.card_number}").status_code == 200
    other = api.get(f"/api/v1/vendor/loyalty/cards/{bakery.card_number}")
    assert other.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nonsense", "Bearer lk_deadbeef_secret", "Token abc", "Bearer a b"],
)
def test_requests_without_a_valid_key_are_401(loyalty: Loyalty, authorization: str | None) -> None:
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client_for(loyalty.merchant, **extra).get("/api/v1/vendor/loyalty/cards")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_tampered_secret_is_401(loyalty: Loyalty) -> None:
    response = loyalty.api(loyalty.key[:-2] + "xx").get("/api/v1/vendor/loyalty/cards")
    assert response.status_code == 401


def test_a_revoked_key_is_401(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        revoke_api_key(key=ApiKey.objects.get(name="Wizamart"))
    assert loyalty.api().get("/api/v1/vendor/loyalty/cards").status_code == 401


def test_a_key_of_one_merchant_is_401_on_another_host(loyalty: Loyalty, other_loyalty) -> None:
    response = client_for(other_loyalty.merchant, HTTP_AUTHORIZATION=f"Bearer {loyalty.key}").get(
        "/api/v1/vendor/loyalty/cards"
    )
    assert response.status_code == 401


def test_using_a_key_records_when(loyalty: Loyalty) -> None:
    before = timezone.now()
    loyalty.api().get("/api/v1/vendor/loyalty/cards")
    with schema_context(loyalty.merchant.schema_name):
        key = ApiKey.objects.get(name="Wizamart")
    assert key.last_used_at is not None and key.last_used_at >= before


def test_card_responses_never_leak_wallet_secrets(loyalty: Loyalty, settings: Any) -> None:
    switch_wallets_on(settings)  # the card then has pass identifiers, and links
    card = _enroll(loyalty, 1)[0]
    text = loyalty.api().get(f"/api/v1/vendor/loyalty/cards/{card.card_number}").content.decode()
    with schema_context(loyalty.merchant.schema_name):
        wallet_pass = WalletPass.objects.get(card=card)
    assert wallet_pass.apple_auth_token not in text
