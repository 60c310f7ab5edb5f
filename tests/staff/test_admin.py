"""The merchant's back office for API keys, and the read-only views of cards and the ledger."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard, LoyaltyTransaction
from merchants.models import Merchant
from programs.services import create_program
from staff.models import ApiKey, StaffPin
from staff.services import create_api_key
from tests.cards.factories import CustomerFactory
from tests.conftest import PASSWORD, client_for
from tests.programs.factories import StoreFactory

pytestmark = pytest.mark.django_db

KEY_PATTERN = re.compile(r"lk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def signed_in(merchant: Merchant) -> Client:
    client = client_for(merchant)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": f"owner@{merchant.slug}.example", "password": PASSWORD},
    )
    assert response.status_code == 302
    return client


# API keys


def test_adding_a_key_shows_the_full_key_once_and_stores_only_a_hash(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        store = StoreFactory(name="Main Street")
    client = signed_in(merchant)

    response = client.post(
        "/admin/staff/apikey/add/",
        {"name": "Wizamart", "store": str(store.pk), "scopes": ["read", "write"], "_save": "Save"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    keys = set(KEY_PATTERN.findall(html))
    assert len(keys) == 1, "the new key is on the page"
    raw_key = keys.pop()
    assert "It will not be shown again" in html
    assert "no-store" in response["Cache-Control"]
    assert "Main Street" in html
    with schema_context(merchant.schema_name):
        key = ApiKey.objects.get()
        row = ApiKey.objects.filter(pk=key.pk).values().get()
    prefix, secret = raw_key.removeprefix("lk_").split("_", 1)
    assert key.name == "Wizamart" and key.store == store and key.scopes == ["read", "write"]
    assert key.prefix == prefix
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in str(value) for value in row.values()), "the secret is not stored"
    assert secret not in str(client.cookies), "nor put in a cookie"
    assert secret not in str(dict(client.session)), "nor in the session"

    # Never again: not on the list, not on the key's page, not in the next page's messages.
    listing = client.get("/admin/staff/apikey/").content.decode()
    detail = client.get(f"/admin/staff/apikey/{key.pk}/change/").content.decode()
    for page in (listing, detail):
        assert secret not in page
        assert f"lk_{prefix}_…" in page


def test_a_key_needs_a_scope(merchant: Merchant) -> None:
    response = signed_in(merchant).post(
        "/admin/staff/apikey/add/", {"name": "Till", "store": "", "_save": "Save"}
    )

    assert response.status_code == 200
    assert "Choose what the key may do: read, write or both." in response.content.decode()
    with schema_context(merchant.schema_name):
        assert not ApiKey.objects.exists()


def test_a_key_for_every_store_is_the_default(merchant: Merchant) -> None:
    client = signed_in(merchant)
    form = client.get("/admin/staff/apikey/add/").content.decode()
    assert "All stores" in form
    assert 'type="checkbox" name="scopes" value="read"' in form

    response = client.post(
        "/admin/staff/apikey/add/", {"name": "POS", "store": "", "scopes": ["read"]}
    )

    assert response.status_code == 200
    with schema_context(merchant.schema_name):
        key = ApiKey.objects.get()
    assert key.store is None and key.scopes == ["read"]


def test_change_list_shows_prefix_store_scopes_and_status(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        key, _raw = create_api_key(name="Wizamart", scopes=["read"])
    html = signed_in(merchant).get("/admin/staff/apikey/").content.decode()

    assert "Wizamart" in html
    assert f"lk_{key.prefix}_…" in html
    assert "All stores" in html and "Read" in html and "Active" in html


def test_only_the_name_of_an_existing_key_can_change(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        store = StoreFactory()
        key, _raw = create_api_key(name="Old name", scopes=["read"], store=None)
    client = signed_in(merchant)
    page = client.get(f"/admin/staff/apikey/{key.pk}/change/").content.decode()
    assert 'name="name"' in page
    assert 'name="scopes"' not in page and 'name="store"' not in page

    response = client.post(
        f"/admin/staff/apikey/{key.pk}/change/",
        {"name": "New name", "store": str(store.pk), "scopes": ["write"], "_save": "Save"},
    )

    assert response.status_code == 302
    with schema_context(merchant.schema_name):
        key.refresh_from_db()
    assert key.name == "New name"
    assert key.store is None and key.scopes == ["read"]


def test_revoking_keys_with_the_action(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        first, _raw = create_api_key(name="First", scopes=["read"])
        second, _raw = create_api_key(name="Second", scopes=["write"])
        create_api_key(name="Kept", scopes=["read"])
    client = signed_in(merchant)

    response = client.post(
        "/admin/staff/apikey/",
        {"action": "revoke_keys", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "2 keys revoked" in response.content.decode()
    with schema_context(merchant.schema_name):
        revoked = {key.name: key.revoked_at for key in ApiKey.objects.all()}
    assert revoked["First"] is not None and revoked["Second"] is not None
    assert revoked["Kept"] is None
    listing = client.get("/admin/staff/apikey/?status=revoked").content.decode()
    assert "First" in listing and "Kept" not in listing


def test_keys_are_revoked_not_deleted(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        key, _raw = create_api_key(name="Wizamart", scopes=["read"])
    client = signed_in(merchant)

    assert client.get(f"/admin/staff/apikey/{key.pk}/delete/").status_code == 403
    actions = client.get("/admin/staff/apikey/").content.decode()
    assert 'value="delete_selected"' not in actions
    assert 'value="revoke_keys"' in actions


def test_another_merchant_cannot_see_the_keys(merchant: Merchant, other_merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        key, _raw = create_api_key(name="Alpha's till", scopes=["read"])
    client = signed_in(other_merchant)

    assert "Alpha&#x27;s till" not in client.get("/admin/staff/apikey/").content.decode()
    assert client.get(f"/admin/staff/apikey/{key.pk}/change/").status_code == 302


# Cards and the ledger: read-only


@pytest.fixture
def card(merchant: Merchant) -> LoyaltyCard:
    with schema_context(merchant.schema_name):
        store = StoreFactory()
        program = create_program(store=store, loyalty_type="stamps", card_name="Bean club")
        customer = CustomerFactory(name="Jane Roe", email="jane@example.com", enrolled_store=store)
        card = LoyaltyCard.objects.create(
            customer=customer, program=program, store=store, stamp_count=1, total_stamps_earned=1
        )
        LoyaltyTransaction.objects.create(
            card=card,
            store=store,
            transaction_type="stamp_earned",
            stamps_delta=1,
            stamps_after=1,
            source="staff_page",
            notes="first visit",
        )
        return card


def test_cards_are_listed_with_their_formatted_number_and_found_by_it(
    merchant: Merchant, card: LoyaltyCard
) -> None:
    client = signed_in(merchant)
    html = client.get("/admin/cards/loyaltycard/").content.decode()
    assert card.formatted_number in html and "Jane Roe" in html and "Bean club" in html

    for term in (card.formatted_number, card.card_number[-6:], "jane@example", "Roe"):
        found = client.get("/admin/cards/loyaltycard/", {"q": term}).content.decode()
        assert card.formatted_number in found, term
    missing = client.get("/admin/cards/loyaltycard/", {"q": "nobody"}).content.decode()
    assert card.formatted_number not in missing


def test_cards_cannot_be_added_changed_or_deleted(merchant: Merchant, card: LoyaltyCard) -> None:
    client = signed_in(merchant)

    assert client.get("/admin/cards/loyaltycard/add/").status_code == 403
    page = client.get(f"/admin/cards/loyaltycard/{card.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="stamp_count"' not in html and 'name="points_balance"' not in html
    assert 'name="_save"' not in html
    assert card.public_token in html, "a link to the customer's card page"
    assert card.apple_auth_token not in html
    assert f"/admin/cards/loyaltytransaction/?card__id__exact={card.pk}" in html

    client.post(f"/admin/cards/loyaltycard/{card.pk}/change/", {"stamp_count": "99"})
    assert client.get(f"/admin/cards/loyaltycard/{card.pk}/delete/").status_code == 403
    with schema_context(merchant.schema_name):
        card.refresh_from_db()
    assert card.stamp_count == 1


def test_the_ledger_is_readable_but_never_editable(merchant: Merchant, card: LoyaltyCard) -> None:
    with schema_context(merchant.schema_name):
        txn = LoyaltyTransaction.objects.get()
    client = signed_in(merchant)

    listing = client.get("/admin/cards/loyaltytransaction/")
    assert listing.status_code == 200
    assert card.formatted_number in listing.content.decode()
    filtered = client.get(f"/admin/cards/loyaltytransaction/?card__id__exact={card.pk}")
    assert filtered.status_code == 200 and "Stamp earned" in filtered.content.decode()

    detail = client.get(f"/admin/cards/loyaltytransaction/{txn.pk}/change/")
    assert detail.status_code == 200
    assert "first visit" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/cards/loyaltytransaction/add/").status_code == 403
    assert client.get(f"/admin/cards/loyaltytransaction/{txn.pk}/delete/").status_code == 403
    client.post(f"/admin/cards/loyaltytransaction/{txn.pk}/change/", {"notes": "edited"})
    with schema_context(merchant.schema_name):
        txn.refresh_from_db()
    assert txn.notes == "first visit"


def test_card_and_ledger_lists_cost_the_same_queries_however_many_rows(
    merchant: Merchant, card: LoyaltyCard
) -> None:
    client = signed_in(merchant)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    lists = ["/admin/cards/loyaltycard/", "/admin/cards/loyaltytransaction/"]
    before = [queries(url) for url in lists]
    with schema_context(merchant.schema_name):
        for _ in range(5):
            store = StoreFactory()
            program = create_program(store=store, loyalty_type="stamps")
            other = LoyaltyCard.objects.create(
                customer=CustomerFactory(enrolled_store=store), program=program, store=store
            )
            pin = StaffPin.objects.create(store=store, name="Anna", pin_hash="x")
            LoyaltyTransaction.objects.create(
                card=other,
                store=store,
                staff_pin=pin,
                transaction_type="stamp_earned",
                stamps_delta=1,
                stamps_after=1,
                source="staff_page",
            )

    assert [queries(url) for url in lists] == before
