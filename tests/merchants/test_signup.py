from __future__ import annotations

import pytest
from django.conf import settings
from django.db import IntegrityError, connection
from django_tenants.utils import schema_context, schema_exists

from common.urls import absolute_url
from merchants.models import Domain, Merchant
from merchants.services import MerchantSignup, create_merchant, purge_merchant
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Acme Bakery",
        "slug": "acme",
        "email": "Owner@Acme.example",
        "password": PASSWORD,
    }
    data.update(overrides)
    return data


def test_landing_page_offers_sign_up() -> None:
    response = client_for(None).get("/")
    assert response.status_code == 200
    assert 'href="/signup/"' in response.content.decode()


def test_sign_up_creates_a_merchant_whose_owner_reaches_their_admin() -> None:
    response = client_for(None).post("/signup/", _form())

    assert response.status_code == 302
    assert response["Location"].startswith(
        absolute_url(f"acme.{settings.PLATFORM_DOMAIN}", "/signin/link/?token=")
    )
    merchant = Merchant.objects.get(schema_name="acme")
    assert merchant.name == "Acme Bakery"
    assert list(merchant.domains.values_list("domain", "is_primary")) == [("acme.localhost", True)]
    assert schema_exists("acme")

    owner = client_for(merchant)
    login = owner.post(
        "/admin/login/?next=/admin/", {"username": "owner@acme.example", "password": PASSWORD}
    )
    assert login.status_code == 302 and login["Location"] == "/admin/"
    index = owner.get("/admin/")
    assert index.status_code == 200
    assert "Acme Bakery" in index.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "alpha", "already taken"),
        ("slug", "ALPHA", "already taken"),
        ("slug", "www", "reserved"),
        ("slug", "admin", "reserved"),
        ("slug", "public", "reserved"),
        ("slug", "postgres", "reserved"),
        ("slug", "bad_slug", "Use 3 to 32"),
        ("slug", "café", "Use 3 to 32"),
        ("slug", "ab", "Use 3 to 32"),
        ("slug", "-abc", "Use 3 to 32"),
        ("slug", "abc-", "Use 3 to 32"),
        ("slug", "a--b", "Use 3 to 32"),
        ("slug", "9lives", "Use 3 to 32"),
        ("slug", "x" * 33, "at most 32"),
        ("slug", "", "required"),
        ("password", "short", "too short"),
        ("password", "password1234", "too common"),
        ("password", "83920174650192", "entirely numeric"),
        ("password", "owner@acme.example", "too similar"),
        ("email", "not-an-email", "valid email"),
        ("name", "   ", "required"),
    ],
)
def test_sign_up_refuses_bad_input_with_a_form_error_and_creates_nothing(
    merchant: Merchant, field: str, value: str, message: str
) -> None:
    merchants_before = Merchant.objects.count()

    response = client_for(None).post("/signup/", _form(**{field: value}))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message.lower() in " ".join(errors.get(field, [])).lower(), errors
    assert Merchant.objects.count() == merchants_before
    assert not schema_exists("acme")


def test_reserved_slug_is_refused_whatever_its_case() -> None:
    response = client_for(None).post("/signup/", _form(slug="WWW"))
    assert response.status_code == 400
    assert "reserved" in " ".join(response.context["form"].errors["slug"])


def test_failure_after_the_schema_is_cloned_leaves_nothing_behind() -> None:
    # A real database failure at the last step (creating the owner): a constraint in the template
    # is cloned into the new schema and refuses the insert.
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE tenant_template.auth_user "
            "ADD CONSTRAINT refuse_everyone CHECK (false) NOT VALID"
        )

    with pytest.raises(IntegrityError):
        create_merchant(
            signup=MerchantSignup(
                name="Doomed", slug="doomed", email="o@doomed.example", password=PASSWORD
            )
        )

    connection.set_schema_to_public()
    assert not Merchant.objects.filter(schema_name="doomed").exists()
    assert not Domain.objects.filter(domain__startswith="doomed.").exists()
    assert not schema_exists("doomed")


def test_new_merchant_schema_is_a_full_copy_of_the_template(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'programs'")
        assert cursor.fetchone()[0] >= 1
        cursor.execute("SELECT count(*) FROM auth_permission")
        assert cursor.fetchone()[0] > 0


def test_stale_template_is_migrated_before_cloning() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA tenant_template CASCADE")

    created = create_merchant(
        signup=MerchantSignup(name="Late", slug="late", email="o@late.example", password=PASSWORD)
    )

    assert schema_exists("tenant_template")
    with schema_context(created.schema_name):
        from programs.models import Store

        assert Store.objects.count() == 0


def test_purging_a_merchant_removes_its_schema_host_and_row_only(
    merchant: Merchant, other_merchant: Merchant
) -> None:
    purge_merchant(merchant=merchant)

    assert not schema_exists("alpha")
    assert not Merchant.objects.filter(schema_name="alpha").exists()
    assert not Domain.objects.filter(domain="alpha.localhost").exists()
    assert schema_exists("beta")
    assert client_for(merchant).get("/").status_code == 404
    assert client_for(other_merchant).get("/healthz").status_code == 200
