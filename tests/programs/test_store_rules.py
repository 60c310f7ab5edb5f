"""Rules about stores that several interfaces share: finding a store by its code, what a key
limited to one store may name, and whether a store takes new members."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest
from django_tenants.utils import schema_context

from programs.models import LoyaltyProgram, Store
from programs.services import create_store
from tests.conftest import PASSWORD, Loyalty, client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/vendor/loyalty"
UNKNOWN_STORE = {
    "detail": "Some fields are invalid.",
    "code": "invalid",
    "errors": {"store_code": ["There is no store with this code."]},
}


def _post(loyalty: Loyalty, path: str, body: dict[str, Any], key: str | None = None):
    return loyalty.api(key).post(f"{API}/{path}", body, content_type="application/json")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("programs", {"loyalty_type": "stamps", "card_name": "Kiosk card"}),
        ("pins", {"name": "Carol", "pin": "4826"}),
    ],
)
def test_a_store_key_naming_another_store_is_told_it_does_not_exist(
    loyalty: Loyalty, path: str, body: dict[str, Any]
) -> None:
    with schema_context(loyalty.merchant.schema_name):
        create_store(name="Kiosk", code="kiosk")  # exists, has no programme, not the key's

    elsewhere = _post(loyalty, path, {**body, "store_code": "kiosk"}, loyalty.stamps_store_key)
    nowhere = _post(loyalty, path, {**body, "store_code": "nowhere"}, loyalty.stamps_store_key)

    # Word for word as an unknown code: the key does not learn which codes exist elsewhere.
    assert elsewhere.status_code == nowhere.status_code == 400
    assert elsewhere.json() == nowhere.json() == UNKNOWN_STORE
    # A key for every store may name it, typed as people type.
    assert _post(loyalty, path, {**body, "store_code": " Kiosk "}).status_code == 201


def test_a_store_code_may_be_typed_in_capitals_everywhere(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    assert client.get("/join/MAIN/").status_code == 200
    enrolled = client.post(
        "/api/v1/loyalty/enroll/Main",
        {"name": "Jane", "email": "jane@example.com", "marketing_consent": False},
        content_type="application/json",
    )
    assert enrolled.status_code == 201 and enrolled.json()["store_code"] == "main"
    pin = _post(loyalty, "pins", {"store_code": "MAIN", "name": "Carol", "pin": "4826"})
    assert pin.status_code == 201 and pin.json()["store_code"] == "main"
    # The store is found, and it already has its programme.
    programme = {"store_code": "MAIN", "loyalty_type": "stamps", "card_name": "Again"}
    assert _post(loyalty, "programs", programme).json()["code"] == "program_exists"
    listed = loyalty.api().get(f"{API}/cards", {"store": " MAIN "}).json()
    assert [card["store_code"] for card in listed["results"]] == ["main"]


def _close(loyalty: Loyalty, reason: str) -> None:
    with schema_context(loyalty.merchant.schema_name):
        if reason == "store_inactive":
            Store.objects.filter(code="main").update(is_active=False)
        elif reason == "program_inactive":
            LoyaltyProgram.objects.filter(stores__code="main").update(is_active=False)


@pytest.mark.parametrize("reason", ["store_inactive", "program_inactive", None])
def test_the_join_page_the_api_and_the_poster_agree_whether_a_store_takes_members(
    loyalty: Loyalty, reason: str | None
) -> None:
    _close(loyalty, reason)
    client = client_for(loyalty.merchant)
    join_page = client.get("/join/main/")
    enrolled = client.post(
        "/api/v1/loyalty/enroll/main",
        {"name": "Jane", "email": "jane@example.com", "marketing_consent": False},
        content_type="application/json",
    )
    owner = client_for(loyalty.merchant)
    # django-axes needs the request a sign-in comes with.
    assert owner.login(
        request=HttpRequest(), username=loyalty.merchant.contact_email, password=PASSWORD
    )
    poster = owner.get(f"/admin/programs/store/{loyalty.stamps_store.pk}/poster/")

    closed = reason is not None
    assert join_page.status_code == (409 if closed else 200)
    assert ("does not take new loyalty members" in join_page.content.decode()) is closed
    assert enrolled.status_code == (409 if closed else 201)
    if closed:
        assert enrolled.json()["code"] == reason
    assert poster.status_code == 200
    assert ("is not taking new members right now" in poster.content.decode()) is closed
