"""The merchant's back office for API keys and staff PINs."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from merchants.models import Merchant
from staff.models import ApiKey, StaffPin
from staff.pins import pin_matches
from staff.services import create_api_key
from tests.cards.helpers import new_card, stamp
from tests.conftest import PASSWORD, STAMPS_PIN, Loyalty, client_for
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


# Staff PINs


def pin_row(loyalty: Loyalty, pk: int) -> StaffPin:
    with schema_context(loyalty.merchant.schema_name):
        return StaffPin.objects.get(pk=pk)


def test_a_pin_added_in_the_back_office_works_at_the_till(loyalty: Loyalty) -> None:
    client = signed_in(loyalty.merchant)
    form = client.get("/admin/staff/staffpin/add/").content.decode()
    assert 'type="password" name="pin"' in form

    response = client.post(
        "/admin/staff/staffpin/add/",
        {"store": str(loyalty.stamps_store.pk), "name": "Carol", "pin": "4826", "_save": "Save"},
    )

    assert response.status_code == 302
    with schema_context(loyalty.merchant.schema_name):
        carol = StaffPin.objects.get(name="Carol")
    assert carol.store == loyalty.stamps_store and carol.is_active
    assert carol.pin_hash.startswith("$argon2id$"), "only an Argon2id hash is stored"
    assert pin_matches(carol.pin_hash, "4826")
    card = new_card(loyalty)
    assert stamp(loyalty, card, staff_pin_id=carol.pk, pin="4826").status_code == 201
    # Neither the PIN nor its hash is ever shown.
    for url in ("/admin/staff/staffpin/", f"/admin/staff/staffpin/{carol.pk}/change/"):
        html = client.get(url).content.decode()
        assert "Carol" in html
        assert "4826" not in html and carol.pin_hash not in html and "argon2" not in html


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("1111", "Choose a PIN that is not the same digit repeated."),
        ("3456", "Choose a PIN that is not a run of consecutive digits."),
        ("12a4", "A PIN is 4 to 6 digits."),
    ],
)
def test_a_weak_pin_is_refused_with_the_services_message(
    loyalty: Loyalty, pin: str, message: str
) -> None:
    response = signed_in(loyalty.merchant).post(
        "/admin/staff/staffpin/add/",
        {"store": str(loyalty.stamps_store.pk), "name": "Carol", "pin": pin, "_save": "Save"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"pin": [message]}
    html = response.content.decode()
    assert message in html
    assert f'value="{pin}"' not in html, "the PIN is not sent back to the browser"
    with schema_context(loyalty.merchant.schema_name):
        assert not StaffPin.objects.filter(name="Carol").exists()


def test_a_name_already_used_at_the_store_is_refused_on_the_name(loyalty: Loyalty) -> None:
    response = signed_in(loyalty.merchant).post(
        "/admin/staff/staffpin/add/",
        {"store": str(loyalty.stamps_store.pk), "name": "Alice", "pin": "4826", "_save": "Save"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "name": ["This store already has a staff member with this name."]
    }
    assert "Constraint" not in response.content.decode()


def test_renaming_keeps_the_pin_and_a_new_pin_replaces_it(loyalty: Loyalty) -> None:
    alice = pin_row(loyalty, loyalty.stamps_pin_id)
    url = f"/admin/staff/staffpin/{alice.pk}/change/"
    client = signed_in(loyalty.merchant)
    page = client.get(url).content.decode()
    assert 'name="store"' not in page, "a PIN stays with its store"
    assert 'name="pin"' in page and alice.pin_hash not in page

    response = client.post(url, {"name": "Alice B.", "pin": "", "is_active": "on"})

    assert response.status_code == 302
    renamed = pin_row(loyalty, alice.pk)
    assert renamed.name == "Alice B." and renamed.pin_hash == alice.pin_hash

    response = client.post(url, {"name": "Alice B.", "pin": "9051", "is_active": "on"})

    assert response.status_code == 302
    changed = pin_row(loyalty, alice.pk)
    assert pin_matches(changed.pin_hash, "9051") and not pin_matches(changed.pin_hash, STAMPS_PIN)


def test_a_weak_new_pin_is_refused_and_nothing_changes(loyalty: Loyalty) -> None:
    alice = pin_row(loyalty, loyalty.stamps_pin_id)

    response = signed_in(loyalty.merchant).post(
        f"/admin/staff/staffpin/{alice.pk}/change/",
        {"name": "Alicia", "pin": "0000", "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "pin": ["Choose a PIN that is not the same digit repeated."]
    }
    unchanged = pin_row(loyalty, alice.pk)
    assert unchanged.name == "Alice" and unchanged.pin_hash == alice.pin_hash


def test_a_deactivated_pin_is_refused_at_the_till(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    response = signed_in(loyalty.merchant).post(
        f"/admin/staff/staffpin/{loyalty.stamps_pin_id}/change/", {"name": "Alice", "pin": ""}
    )

    assert response.status_code == 302
    assert not pin_row(loyalty, loyalty.stamps_pin_id).is_active
    assert stamp(loyalty, card).status_code != 201


def test_the_unlock_action_lifts_a_lock(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        StaffPin.objects.filter(pk=loyalty.stamps_pin_id).update(
            locked_until=timezone.now() + timedelta(minutes=10)
        )
        StaffPin.objects.filter(pk=loyalty.points_pin_id).update(failed_attempts=3)
    client = signed_in(loyalty.merchant)
    assert "Locked until" in client.get("/admin/staff/staffpin/").content.decode()
    locked = client.get("/admin/staff/staffpin/?lock=locked").content.decode()
    assert "Alice" in locked and "Bob" not in locked
    card = new_card(loyalty)
    assert stamp(loyalty, card).status_code != 201, "locked"

    response = client.post(
        "/admin/staff/staffpin/",
        {
            "action": "unlock_pins",
            "_selected_action": [loyalty.stamps_pin_id, loyalty.points_pin_id],
        },
        follow=True,
    )

    assert "2 PINs unlocked" in response.content.decode()
    alice = pin_row(loyalty, loyalty.stamps_pin_id)
    bob = pin_row(loyalty, loyalty.points_pin_id)
    assert alice.locked_until is None and alice.failed_attempts == 0
    assert bob.failed_attempts == 0
    assert stamp(loyalty, card).status_code == 201
    assert "Locked until" not in client.get("/admin/staff/staffpin/").content.decode()


def test_pins_are_deactivated_not_deleted(loyalty: Loyalty) -> None:
    client = signed_in(loyalty.merchant)

    assert client.get(f"/admin/staff/staffpin/{loyalty.stamps_pin_id}/delete/").status_code == 403
    actions = client.get("/admin/staff/staffpin/").content.decode()
    assert 'value="delete_selected"' not in actions
    assert 'value="unlock_pins"' in actions
    with schema_context(loyalty.merchant.schema_name):
        assert StaffPin.objects.filter(pk=loyalty.stamps_pin_id).exists()


def test_another_merchant_cannot_see_the_pins(loyalty: Loyalty, other_merchant: Merchant) -> None:
    client = signed_in(other_merchant)

    assert "Alice" not in client.get("/admin/staff/staffpin/").content.decode()
    assert client.get(f"/admin/staff/staffpin/{loyalty.stamps_pin_id}/change/").status_code == 302
