"""Merchants are isolated by host: users, sessions, data and cache never cross over."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from merchants.models import Merchant
from programs.models import Store
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def _signed_in(merchant: Merchant) -> Client:
    client = client_for(merchant)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": f"owner@{merchant.slug}.example", "password": PASSWORD},
    )
    assert response.status_code == 302, "the owner signs in on their own host"
    return client


def test_owner_of_one_merchant_cannot_sign_in_on_another(
    merchant: Merchant, other_merchant: Merchant
) -> None:
    client = client_for(other_merchant)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "owner@alpha.example", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_session_cookie_from_one_host_is_worthless_on_another(
    merchant: Merchant, other_merchant: Merchant
) -> None:
    alpha = _signed_in(merchant)
    stolen = alpha.cookies["sessionid"].value

    intruder = client_for(other_merchant)
    intruder.cookies["sessionid"] = stolen
    response = intruder.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_data_created_in_one_merchant_is_invisible_in_another(
    merchant: Merchant, other_merchant: Merchant
) -> None:
    alpha = _signed_in(merchant)
    created = alpha.post(
        "/admin/programs/store/add/",
        {
            "name": "Alpha Secret Store",
            "code": "secret",
            "address": "",
            "timezone": "UTC",
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    assert "Alpha Secret Store" in alpha.get("/admin/programs/store/").content.decode()

    beta = _signed_in(other_merchant)
    listing = beta.get("/admin/programs/store/")
    assert listing.status_code == 200
    assert "Alpha Secret Store" not in listing.content.decode()
    with schema_context(other_merchant.schema_name):
        assert not Store.objects.exists()
    with schema_context(merchant.schema_name):
        store_id = Store.objects.get(code="secret").pk
    assert beta.get(f"/admin/programs/store/{store_id}/change/").status_code == 302


def test_merchant_admin_does_not_expose_platform_models(merchant: Merchant) -> None:
    alpha = _signed_in(merchant)
    index = alpha.get("/admin/").content.decode()
    assert "merchants/merchant" not in index
    assert "django_celery_beat" not in index
    assert alpha.get("/admin/merchants/merchant/").status_code == 404


def test_platform_admin_refuses_merchant_owners(merchant: Merchant) -> None:
    platform = client_for(None)
    response = platform.post(
        "/admin/login/?next=/admin/", {"username": "owner@alpha.example", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert platform.get("/admin/").status_code == 302


@pytest.mark.parametrize("host", ["nobody.localhost", "example.com", "localhost.evil.com"])
def test_an_unknown_host_answers_404(merchant: Merchant, host: str) -> None:
    response = Client(HTTP_HOST=host).get("/")
    assert response.status_code == 404
    assert "no loyalty programme at this address" in response.content.decode()


def test_an_invalid_host_header_answers_404_not_500() -> None:
    response = Client(HTTP_HOST="bad host!!").get("/admin/")
    assert response.status_code == 404


def test_a_deactivated_merchant_is_not_served(merchant: Merchant) -> None:
    Merchant.objects.filter(pk=merchant.pk).update(is_active=False)
    assert client_for(merchant).get("/admin/login/").status_code == 404


def test_cache_entries_are_per_merchant(merchant: Merchant, other_merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        cache.set("greeting", "hello alpha")
    with schema_context(other_merchant.schema_name):
        assert cache.get("greeting") is None
    with schema_context(merchant.schema_name):
        assert cache.get("greeting") == "hello alpha"
