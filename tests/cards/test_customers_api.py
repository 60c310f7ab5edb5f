"""Trusted enrollment and customer management for Wizamart and POS systems (SPEC §4)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyCard
from cards.services import enroll_customer
from programs.models import Store
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/vendor/loyalty/customers"


def _body(**fields: Any) -> dict[str, Any]:
    return {
        "store_code": "main",
        "name": "Jane Doe",
        "email": "jane@example.com",
        "marketing_consent": False,
        **fields,
    }


def _enroll(loyalty: Loyalty, key: str | None = None, **fields: Any):
    return loyalty.api(key).post(CUSTOMERS, _body(**fields), content_type="application/json")


def _customers(loyalty: Loyalty) -> list[tuple[str, str]]:
    with schema_context(loyalty.merchant.schema_name):
        return list(Customer.objects.order_by("pk").values_list("email", "external_id"))


# --- Trusted enrollment


def test_a_new_customer_gets_a_card_201(loyalty: Loyalty) -> None:
    response = _enroll(
        loyalty,
        external_id="W-1",
        phone="+352 621 000 000",
        marketing_consent=True,
        locale="fr",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["store_code"] == "main" and body["program_id"] == loyalty.stamps_program.pk
    assert body["card_page_url"].startswith("http")
    customer = body["customer"]
    assert (customer["name"], customer["email"], customer["external_id"]) == (
        "Jane Doe",
        "jane@example.com",
        "W-1",
    )
    assert customer["phone"] == "+352 621 000 000" and customer["locale"] == "fr"
    assert customer["marketing_consent"] is True and customer["marketing_consent_at"]
    with schema_context(loyalty.merchant.schema_name):
        card = LoyaltyCard.objects.get(card_number=body["card_number"])
        assert card.customer.enrolled_store_id == loyalty.stamps_store.pk


def test_the_same_email_answers_the_existing_card_200(loyalty: Loyalty) -> None:
    first = _enroll(loyalty).json()
    again = _enroll(loyalty, name="Someone Else", email="JANE@example.com")

    assert again.status_code == 200
    assert again.json()["card_number"] == first["card_number"]
    # An existing customer's details are changed with PATCH, not by enrolling again.
    assert again.json()["customer"]["name"] == "Jane Doe"
    assert len(_customers(loyalty)) == 1


def test_the_same_external_id_answers_the_existing_card_200(loyalty: Loyalty) -> None:
    first = _enroll(loyalty, external_id="W-1").json()
    again = _enroll(loyalty, external_id="W-1", email="jane.doe@newmail.example")

    assert again.status_code == 200
    assert again.json()["card_number"] == first["card_number"]
    assert _customers(loyalty) == [("jane@example.com", "W-1")]


def test_an_existing_customer_gets_a_card_at_another_programme_201(loyalty: Loyalty) -> None:
    stamps = _enroll(loyalty, external_id="W-1").json()
    points = _enroll(loyalty, external_id="W-1", store_code="bakery")

    assert points.status_code == 201
    assert points.json()["card_number"] != stamps["card_number"]
    assert points.json()["customer"]["id"] == stamps["customer"]["id"]


def test_a_customer_without_external_id_is_linked_to_the_one_sent(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        enroll_customer(store_code="main", name="Jane", email="jane@example.com")

    response = _enroll(loyalty, external_id="W-1")

    assert response.status_code == 200
    assert response.json()["customer"]["external_id"] == "W-1"
    assert _customers(loyalty) == [("jane@example.com", "W-1")]


def test_email_and_external_id_of_two_customers_is_a_409_conflict(loyalty: Loyalty) -> None:
    _enroll(loyalty, external_id="W-1")
    _enroll(loyalty, email="john@example.com", external_id="W-2")

    crossed = _enroll(loyalty, email="john@example.com", external_id="W-1")

    assert crossed.status_code == 409
    assert crossed.json()["code"] == "customer_conflict"
    assert _customers(loyalty) == [("jane@example.com", "W-1"), ("john@example.com", "W-2")]


def test_an_email_linked_to_another_external_id_is_a_409_conflict(loyalty: Loyalty) -> None:
    _enroll(loyalty, external_id="W-1")

    response = _enroll(loyalty, external_id="W-9")

    assert response.status_code == 409
    assert response.json()["code"] == "customer_conflict"
    assert _customers(loyalty) == [("jane@example.com", "W-1")]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"name": ""}, "name"),
        ({"store_code": "nowhere"}, "store_code"),
        ({"external_id": "x" * 101}, "external_id"),
        ({"locale": "xx"}, "locale"),
    ],
)
def test_bad_input_is_400_with_field_errors(
    loyalty: Loyalty, fields: dict[str, Any], field: str
) -> None:
    response = _enroll(loyalty, **fields)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert _customers(loyalty) == []


def test_an_inactive_store_is_409(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        Store.objects.filter(code="main").update(is_active=False)
    response = _enroll(loyalty)
    assert response.status_code == 409
    assert response.json()["code"] == "store_inactive"


@pytest.mark.parametrize(
    "value", [None, "", -1, 2**70, 1.5, True, [], {}, "\u0000", "🙂", "x" * 5000]
)
def test_odd_values_in_every_field_are_refused_with_a_code(loyalty: Loyalty, value: Any) -> None:
    fields = ["store_code", "name", "email", "phone", "external_id", "marketing_consent", "locale"]
    api = loyalty.api()
    response = api.post(
        CUSTOMERS, {name: value for name in fields}, content_type="application/json"
    )
    assert 400 <= response.status_code < 500 and response.json()["code"]
    customer = _enroll(loyalty).json()["customer"]
    patched = api.patch(
        f"{CUSTOMERS}/{customer['id']}",
        {name: value for name in fields if name != "store_code"},
        content_type="application/json",
    )
    assert 400 <= patched.status_code < 500 and patched.json()["code"]


def test_a_store_restricted_key_may_only_name_its_store(loyalty: Loyalty) -> None:
    own = _enroll(loyalty, loyalty.stamps_store_key)
    other = _enroll(loyalty, loyalty.stamps_store_key, store_code="bakery")

    assert own.status_code == 201
    # Refused exactly as an unknown code: the key does not learn which codes exist elsewhere.
    assert other.status_code == 400
    assert "store_code" in other.json()["errors"]
    assert len(_customers(loyalty)) == 1


def test_a_read_only_key_cannot_enrol_nor_change_a_customer(loyalty: Loyalty) -> None:
    customer = _enroll(loyalty).json()["customer"]
    api = loyalty.api(loyalty.read_key)

    refused = api.post(CUSTOMERS, _body(email="new@example.com"), content_type="application/json")
    patched = api.patch(
        f"{CUSTOMERS}/{customer['id']}", {"name": "Changed"}, content_type="application/json"
    )

    assert (refused.status_code, patched.status_code) == (403, 403)
    assert refused.json()["code"] == patched.json()["code"] == "permission_denied"
    assert api.get(f"{CUSTOMERS}/{customer['id']}").json()["name"] == "Jane Doe"


def test_enrollment_is_replayed_with_the_same_idempotency_key(loyalty: Loyalty) -> None:
    api = loyalty.api()

    def send() -> Any:
        return api.post(
            CUSTOMERS, _body(), content_type="application/json", headers={"Idempotency-Key": "e-1"}
        )

    first, again = send(), send()

    # Without the replay the second call would answer 200 "existing card".
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_change_is_replayed_with_the_same_idempotency_key(loyalty: Loyalty) -> None:
    customer = _enroll(loyalty).json()["customer"]
    api = loyalty.api()
    path = f"{CUSTOMERS}/{customer['id']}"

    def send(name: str) -> Any:
        return api.patch(
            path, {"name": name}, content_type="application/json", headers={"Idempotency-Key": "p"}
        )

    first, again = send("Jane Smith"), send("Jane Smith")
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert send("Someone Else").json()["code"] == "idempotency_key_reused"


# --- Outsiders


def test_a_key_of_another_merchant_is_401_here(loyalty: Loyalty, other_loyalty: Loyalty) -> None:
    customer = _enroll(loyalty).json()["customer"]
    outsider = client_for(loyalty.merchant, HTTP_AUTHORIZATION=f"Bearer {other_loyalty.key}")

    responses = [
        outsider.get(CUSTOMERS),
        outsider.post(CUSTOMERS, _body(email="x@example.com"), content_type="application/json"),
        outsider.get(f"{CUSTOMERS}/{customer['id']}"),
        outsider.patch(f"{CUSTOMERS}/{customer['id']}", {"name": "X"}, "application/json"),
    ]

    assert [r.status_code for r in responses] == [401] * 4
    assert _customers(loyalty) == [("jane@example.com", "")]


def test_another_merchants_customer_is_404_on_its_own_host(
    loyalty: Loyalty, other_loyalty: Loyalty
) -> None:
    _enroll(other_loyalty, email="first@example.com")
    theirs = _enroll(other_loyalty).json()["customer"]
    ours = _enroll(loyalty, email="ours@example.com").json()["customer"]
    assert theirs["id"] != ours["id"]
    api = loyalty.api()

    assert api.get(f"{CUSTOMERS}/{theirs['id']}").status_code == 404
    patched = api.patch(f"{CUSTOMERS}/{theirs['id']}", {"name": "X"}, "application/json")
    assert patched.status_code == 404 and patched.json()["code"] == "not_found"
    assert api.get(CUSTOMERS, {"email": "jane@example.com"}).json()["count"] == 0
    with schema_context(other_loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=theirs["id"]).name == "Jane Doe"


# --- Reading and searching


def test_a_customer_with_their_cards(loyalty: Loyalty) -> None:
    stamps = _enroll(loyalty, external_id="W-1").json()
    points = _enroll(loyalty, external_id="W-1", store_code="bakery").json()

    body = loyalty.api().get(f"{CUSTOMERS}/{stamps['customer']['id']}").json()

    assert body["external_id"] == "W-1"
    assert [(c["card_number"], c["store_code"]) for c in body["cards"]] == [
        (stamps["card_number"], "main"),
        (points["card_number"], "bakery"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"email": "ANNA@example.com"}, ["Anna Muller"]),
        ({"external_id": "W-2"}, ["Bert Schmit"]),
        ({"name": "schmit"}, ["Carla Schmit", "Bert Schmit"]),
        ({"phone": "621 222"}, ["Bert Schmit"]),
        ({"name": "schmit", "external_id": "W-3"}, ["Carla Schmit"]),
        ({"external_id": "W-"}, []),  # exact, not a part
        ({"email": "nobody@example.com"}, []),
    ],
)
def test_customers_can_be_searched_by_each_field(
    loyalty: Loyalty, query: dict[str, str], expected: list[str]
) -> None:
    for name, email, external_id, phone in [
        ("Anna Muller", "anna@example.com", "W-1", "+352 621 111 111"),
        ("Bert Schmit", "bert@example.com", "W-2", "+352 621 222 222"),
        ("Carla Schmit", "carla@example.com", "W-3", ""),
    ]:
        response = _enroll(loyalty, name=name, email=email, external_id=external_id, phone=phone)
        assert response.status_code == 201

    body = loyalty.api().get(CUSTOMERS, query).json()

    assert [c["name"] for c in body["results"]] == expected  # newest first
    assert body["count"] == len(expected)


def test_the_customer_list_is_paginated(loyalty: Loyalty) -> None:
    for i in range(5):
        _enroll(loyalty, email=f"c{i}@example.com", name=f"Customer {i}")

    body = loyalty.api().get(CUSTOMERS, {"limit": 2, "offset": 1}).json()

    assert body["count"] == 5
    assert [c["name"] for c in body["results"]] == ["Customer 3", "Customer 2"]
    assert body["next"] and body["previous"]


def test_a_store_restricted_key_sees_only_customers_with_a_card_there(loyalty: Loyalty) -> None:
    both = _enroll(loyalty, email="both@example.com").json()
    _enroll(loyalty, email="both@example.com", store_code="bakery")
    bakery_only = _enroll(loyalty, email="bakery@example.com", store_code="bakery").json()
    api = loyalty.api(loyalty.stamps_store_key)

    listed = api.get(CUSTOMERS).json()["results"]
    assert [c["email"] for c in listed] == ["both@example.com"]
    # Only the card at its store, not the customer's card at the bakery.
    assert [c["store_code"] for c in listed[0]["cards"]] == ["main"]
    assert api.get(f"{CUSTOMERS}/{both['customer']['id']}").status_code == 200
    hidden = bakery_only["customer"]["id"]
    assert api.get(f"{CUSTOMERS}/{hidden}").status_code == 404
    patched = api.patch(f"{CUSTOMERS}/{hidden}", {"name": "X"}, "application/json")
    assert patched.status_code == 404


def test_the_customer_list_runs_the_same_queries_whatever_the_page_size(
    loyalty: Loyalty,
) -> None:
    for i in range(30):
        _enroll(loyalty, email=f"c{i}@example.com")
        _enroll(loyalty, email=f"c{i}@example.com", store_code="bakery")  # two cards each
    api = loyalty.api()
    api.get(f"{CUSTOMERS}?limit=1")  # the key's last_used_at is written once

    counts = []
    for limit in (1, 10, 30):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{CUSTOMERS}?limit={limit}")
        assert len(response.json()["results"]) == limit
        assert all(len(c["cards"]) == 2 for c in response.json()["results"])
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
    # Host lookup, key lookup, count, page, their cards, and two SET search_path.
    assert counts[0] <= 7


# --- Changes


def test_a_customer_can_be_changed(loyalty: Loyalty) -> None:
    customer = _enroll(loyalty).json()["customer"]
    change = {
        "name": "Jane Smith",
        "email": "Jane.Smith@example.com",
        "phone": "+352 691 000 000",
        "locale": "de",
        "external_id": "W-7",
    }

    response = loyalty.api().patch(
        f"{CUSTOMERS}/{customer['id']}", change, content_type="application/json"
    )

    assert response.status_code == 200
    body = response.json()
    assert {name: body[name] for name in change} == {**change, "email": "jane.smith@example.com"}
    assert len(body["cards"]) == 1
    assert _customers(loyalty) == [("jane.smith@example.com", "W-7")]


def test_consent_keeps_its_time_while_given_and_is_cleared_when_withdrawn(
    loyalty: Loyalty,
) -> None:
    customer = _enroll(loyalty, marketing_consent=True).json()["customer"]
    path = f"{CUSTOMERS}/{customer['id']}"
    api = loyalty.api()

    again = api.patch(path, {"marketing_consent": True}, "application/json").json()
    assert again["marketing_consent_at"] == customer["marketing_consent_at"]
    withdrawn = api.patch(path, {"marketing_consent": False}, "application/json").json()
    assert withdrawn["marketing_consent"] is False and withdrawn["marketing_consent_at"] is None
    given = api.patch(path, {"marketing_consent": True}, "application/json").json()
    assert given["marketing_consent_at"] > customer["marketing_consent_at"]


@pytest.mark.parametrize(
    "change", [{"email": "john@example.com"}, {"email": "JOHN@example.com"}, {"external_id": "W-2"}]
)
def test_another_customers_email_or_external_id_is_a_409_conflict(
    loyalty: Loyalty, change: dict[str, str]
) -> None:
    customer = _enroll(loyalty, external_id="W-1").json()["customer"]
    _enroll(loyalty, email="john@example.com", external_id="W-2")

    response = loyalty.api().patch(
        f"{CUSTOMERS}/{customer['id']}", change, content_type="application/json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "customer_conflict"
    assert _customers(loyalty) == [("jane@example.com", "W-1"), ("john@example.com", "W-2")]


def test_a_blank_external_id_unlinks_the_customer(loyalty: Loyalty) -> None:
    first = _enroll(loyalty, external_id="W-1").json()["customer"]
    _enroll(loyalty, email="john@example.com")  # blank too: blanks never clash

    response = loyalty.api().patch(
        f"{CUSTOMERS}/{first['id']}", {"external_id": ""}, content_type="application/json"
    )

    assert response.status_code == 200
    assert _customers(loyalty) == [("jane@example.com", ""), ("john@example.com", "")]


def test_a_blank_name_is_refused(loyalty: Loyalty) -> None:
    customer = _enroll(loyalty).json()["customer"]
    response = loyalty.api().patch(
        f"{CUSTOMERS}/{customer['id']}", {"name": "  "}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
