"""A customer's data rights: the export of everything held about them, and the erasure of their
personal data (the ledger kept, anonymous), from the API and the back office, both recorded."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django_tenants.utils import schema_context

from cards.models import Customer, DataRequest, LoyaltyCard, LoyaltyTransaction
from tests.cards.helpers import points, stamp
from tests.cards.test_admin import signed_in
from tests.conftest import POINTS_PIN, Loyalty, client_for

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/vendor/loyalty/customers"
NAME = "Zoë Quillfeather"
EMAIL = "zoe.quillfeather@example.com"
PHONE = "+352 621 987 654"
EXTERNAL_ID = "WIZ-778123"
USER_AGENT = "QuillPhone/7.1 (personal device)"
PERSONAL = [NAME, "Quillfeather", EMAIL, "zoe.quillfeather", PHONE, "621 987 654", EXTERNAL_ID]


def _enroll(loyalty: Loyalty, store_code: str = "main") -> dict:
    response = loyalty.api(**{"Idempotency-Key": f"enrol-{store_code}"}).post(
        CUSTOMERS,
        {
            "store_code": store_code,
            "name": NAME,
            "email": EMAIL,
            "phone": PHONE,
            "external_id": EXTERNAL_ID,
            "marketing_consent": True,
        },
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    return response.json()


@pytest.fixture
def customer_id(loyalty: Loyalty) -> int:
    """Zoë with a stamps card and a points card, operations on both (one sent from her own
    phone's browser), an admin edit and stored idempotent responses naming her."""
    stamps_card = _enroll(loyalty, "main")
    points_card = _enroll(loyalty, "bakery")
    client = loyalty.api(**{"User-Agent": USER_AGENT, "Idempotency-Key": "stamp-1"})
    assert stamp(loyalty, stamps_card["card_number"], client=client, quantity=3).status_code == 201
    with schema_context(loyalty.merchant.schema_name):
        card = LoyaltyCard.objects.get(card_number=points_card["card_number"])
    assert points(loyalty, card, 9000).status_code == 201
    assert (
        loyalty.api()
        .post(
            "/api/v1/vendor/loyalty/points/redeem",
            {
                "card_number": card.card_number,
                "reward_id": "cake",
                "staff_pin_id": loyalty.points_pin_id,
                "pin": POINTS_PIN,
            },
            content_type="application/json",
        )
        .status_code
        == 201
    )
    with schema_context(loyalty.merchant.schema_name):
        customer = Customer.objects.get(email=EMAIL)
    # The back office's history names her too ("name <e-mail>").
    admin = signed_in(loyalty.merchant)
    changed = admin.post(
        f"/admin/cards/customer/{customer.pk}/change/",
        {
            "name": NAME,
            "email": EMAIL,
            "phone": PHONE,
            "locale": "fr",
            "marketing_consent": "on",
            "total_spent_cents": "9000",
            "external_id": EXTERNAL_ID,
            "enrolled_store": loyalty.stamps_store.pk,
        },
    )
    assert changed.status_code == 302, changed.content
    return customer.pk


def _text_columns(schema: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = %s AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb',
                                  'inet', 'ARRAY', 'USER-DEFINED')
            ORDER BY 1, 2
            """,
            [schema],
        )
        return list(cursor.fetchall())


def _where_found(schema: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a text or JSON value of the schema holds a needle,
    however capitalised."""
    found = []
    columns = _text_columns(schema)
    assert len(columns) > 30  # every table of the schema, not a list of known columns
    with connection.cursor() as cursor:
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}"::text ILIKE %s',
                    [f"%{needle}%"],
                )
                if cursor.fetchone()[0]:
                    found.append((table, column, needle))
    return found


def _erase(loyalty: Loyalty, customer_id: int, key: str | None = None, **headers: str):
    return loyalty.api(key, **headers).post(f"{CUSTOMERS}/{customer_id}/erase")


# --- Erasure


def test_after_erasure_her_name_email_and_phone_are_nowhere_in_the_schema(
    loyalty: Loyalty, customer_id: int
) -> None:
    schema = loyalty.merchant.schema_name
    with schema_context(schema):
        # The search finds what is there: before the erasure, in the customer row, the stored
        # idempotent responses, the ledger's user agent and the back office's history.
        found = _where_found(schema, [*PERSONAL, USER_AGENT])
    before = {(table, column) for table, column, _needle in found}
    assert {
        ("cards_customer", "name"),
        ("cards_customer", "email"),
        ("cards_customer", "phone"),
        ("cards_customer", "external_id"),
        ("common_idempotencyrecord", "response_body"),
        ("cards_loyaltytransaction", "user_agent"),
        ("django_admin_log", "object_repr"),
    } <= before

    response = _erase(loyalty, customer_id)

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Erased customer"
    with schema_context(schema):
        assert _where_found(schema, [*PERSONAL, USER_AGENT]) == []


def test_erasure_keeps_the_ledger_whole_and_blocks_the_cards(
    loyalty: Loyalty, customer_id: int
) -> None:
    with schema_context(loyalty.merchant.schema_name):
        old_tokens = list(
            LoyaltyCard.objects.filter(customer_id=customer_id).values_list(
                "public_token", flat=True
            )
        )
        rows_before = LoyaltyTransaction.objects.filter(card__customer_id=customer_id).count()
    pages = client_for(loyalty.merchant)
    assert all(pages.get(f"/c/{token}/").status_code == 200 for token in old_tokens)

    assert _erase(loyalty, customer_id).status_code == 200

    with schema_context(loyalty.merchant.schema_name):
        customer = Customer.objects.get(pk=customer_id)
        assert customer.erased_at is not None
        assert customer.email.endswith("@erased.invalid") and customer.phone == ""
        assert customer.external_id == "" and customer.marketing_consent is False
        assert customer.marketing_consent_at is None
        rows = LoyaltyTransaction.objects.filter(card__customer_id=customer_id)
        assert rows.count() == rows_before == 3
        assert not rows.exclude(ip_address=None).exists()
        assert not rows.exclude(user_agent="").exists()
        cards = list(LoyaltyCard.objects.filter(customer_id=customer_id))
        assert len(cards) == 2
        for card in cards:
            assert card.is_active is False
            sums = card.transactions.aggregate(s=Sum("stamps_delta"), p=Sum("points_delta"))
            assert (sums["s"], sums["p"]) == (card.stamp_count, card.points_balance)
            assert card.public_token not in old_tokens
    assert [pages.get(f"/c/{token}/").status_code for token in old_tokens] == [404, 404]
    # A blocked card takes nothing more.
    refused = stamp(loyalty, cards[0].card_number if cards[0].program.has_stamps else cards[1])
    assert refused.status_code == 409 and refused.json()["code"] == "card_inactive"


def test_erasing_twice_answers_the_same_and_records_both(
    loyalty: Loyalty, customer_id: int
) -> None:
    def state() -> list[tuple]:
        with schema_context(loyalty.merchant.schema_name):
            customer = Customer.objects.get(pk=customer_id)
            cards = LoyaltyCard.objects.filter(customer=customer).order_by("pk")
            return [
                (customer.name, customer.email, customer.erased_at),
                *cards.values_list("public_token", "is_active", "updated_at"),
            ]

    first = _erase(loyalty, customer_id)
    after_first = state()
    second = _erase(loyalty, customer_id)

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert state() == after_first
    with schema_context(loyalty.merchant.schema_name):
        records = list(
            DataRequest.objects.filter(customer_id=customer_id).values_list("kind", "requested_by")
        )
    assert records == [("erasure", "api-key:Wizamart")] * 2


def test_the_ledger_still_refuses_every_other_change(loyalty: Loyalty, customer_id: int) -> None:
    with schema_context(loyalty.merchant.schema_name):
        rows = LoyaltyTransaction.objects.filter(card__customer_id=customer_id)
        for change in (
            {"notes": "edited"},
            {"stamps_delta": 99},
            {"ip_address": None, "user_agent": "", "points_delta": 1},
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                rows.update(**change)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            rows.delete()
        # Forgetting the client is the one change let through.
        assert rows.update(ip_address=None, user_agent="") == 3


# --- Export


def test_the_export_holds_her_profile_cards_and_ledger_and_is_recorded(
    loyalty: Loyalty, customer_id: int
) -> None:
    response = loyalty.api(loyalty.read_key).get(f"{CUSTOMERS}/{customer_id}/export")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="customer-{customer_id}-export.json"'
    )
    data = response.json()
    profile = data["customer"]
    assert (profile["name"], profile["email"], profile["phone"], profile["external_id"]) == (
        NAME,
        EMAIL,
        PHONE,
        EXTERNAL_ID,
    )
    assert profile["marketing_consent"] is True and profile["marketing_consent_at"]
    by_programme = {card["programme"]: card for card in data["cards"]}
    coffee, bakery = by_programme["Coffee Card"], by_programme["Bakery Points"]
    assert coffee["stamp_count"] == 3 and bakery["points_balance"] == 135 - 50
    assert [row["transaction_type"] for row in coffee["transactions"]] == ["stamp_earned"]
    assert coffee["transactions"][0]["user_agent"] == USER_AGENT
    assert [row["transaction_type"] for row in bakery["transactions"]] == [
        "points_earned",
        "points_redeemed",
    ]
    assert bakery["transactions"][0]["staff"] == "Bob"
    assert coffee["wallets"] == {"apple_devices": 0, "google_object_created": False}
    # Nothing of the staff's secrets.
    assert "pin_hash" not in json.dumps(data) and "idempotency_key" not in json.dumps(data)
    with schema_context(loyalty.merchant.schema_name):
        assert list(DataRequest.objects.values_list("customer_id", "kind", "requested_by")) == [
            (customer_id, "export", "api-key:Reports")
        ]


def test_the_export_of_an_erased_customer_holds_no_personal_data(
    loyalty: Loyalty, customer_id: int
) -> None:
    _erase(loyalty, customer_id)

    text = loyalty.api().get(f"{CUSTOMERS}/{customer_id}/export").content.decode()

    assert not [value for value in PERSONAL if value.lower() in text.lower()]
    assert json.loads(text)["customer"]["erased_at"]


# --- Refusals


@pytest.mark.parametrize("action", ["export", "erase"])
def test_an_unknown_customer_is_404(loyalty: Loyalty, action: str) -> None:
    client = loyalty.api()
    url = f"{CUSTOMERS}/999999/{action}"
    response = client.get(url) if action == "export" else client.post(url)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_another_merchants_customer_is_404(
    loyalty: Loyalty, other_loyalty: Loyalty, customer_id: int
) -> None:
    assert _erase(other_loyalty, customer_id).status_code == 404
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=customer_id).name == NAME


def test_a_read_only_key_cannot_erase_and_a_store_key_can_do_neither(
    loyalty: Loyalty, customer_id: int
) -> None:
    read_only = _erase(loyalty, customer_id, loyalty.read_key)
    store_key_export = loyalty.api(loyalty.stamps_store_key).get(
        f"{CUSTOMERS}/{customer_id}/export"
    )
    store_key_erase = _erase(loyalty, customer_id, loyalty.stamps_store_key)
    no_key = client_for(loyalty.merchant).post(f"{CUSTOMERS}/{customer_id}/erase")

    for response in (read_only, store_key_export, store_key_erase):
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert no_key.status_code == 401
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=customer_id).name == NAME
        assert not DataRequest.objects.exists()


# --- Back office


def test_the_back_office_exports_a_json_file(loyalty: Loyalty, customer_id: int) -> None:
    admin = signed_in(loyalty.merchant)

    response = admin.post(
        "/admin/cards/customer/",
        {"action": "export_data", "_selected_action": [customer_id]},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["customer"]["email"] == EMAIL
    with schema_context(loyalty.merchant.schema_name):
        record = DataRequest.objects.get()
    assert (record.kind, record.requested_by) == (
        "export",
        f"user:owner@{loyalty.merchant.slug}.example",
    )


def test_the_back_office_erases_after_a_confirmation(loyalty: Loyalty, customer_id: int) -> None:
    admin = signed_in(loyalty.merchant)
    chosen = {"action": "erase_personal_data", "_selected_action": [customer_id]}

    confirmation = admin.post("/admin/cards/customer/", chosen)

    assert confirmation.status_code == 200
    assert "cannot be undone" in confirmation.content.decode()
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=customer_id).name == NAME  # nothing done yet

    done = admin.post("/admin/cards/customer/", {**chosen, "confirmed": "yes"}, follow=True)

    assert done.status_code == 200
    assert "personal data erased" in done.content.decode()
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=customer_id).name == "Erased customer"
        assert DataRequest.objects.get().kind == "erasure"
        schema = loyalty.merchant.schema_name
        assert _where_found(schema, PERSONAL) == []
    records = admin.get("/admin/cards/datarequest/")
    assert records.status_code == 200 and "Erasure" in records.content.decode()
