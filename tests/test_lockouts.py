"""Password sign-in locks after repeated failures, per account and per address (django-axes)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from merchants.models import Merchant
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db

HERE, ELSEWHERE = "198.51.100.1", "198.51.100.2"
LOCKED = "Too many failed sign-in attempts: signing in is locked for 30 minutes."


def _sign_in(
    merchant: Merchant | None,
    username: str,
    password: str,
    *,
    path: str,
    address: str = HERE,
    **headers: str,
):
    client = client_for(merchant, REMOTE_ADDR=address)
    return client.post(path, {"username": username, "password": password}, headers=headers)


def _fail_five_times(merchant: Merchant | None, username: str, *, path: str) -> None:
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # A client-chosen X-Forwarded-For changes nothing: the address is REMOTE_ADDR here.
        response = _sign_in(
            merchant,
            username,
            f"wrong {attempt}",
            path=path,
            **{"X-Forwarded-For": f"203.0.113.{attempt}"},
        )
        # The form again, until the failure that reaches the limit, which gets the lockout page.
        last = attempt == settings.AXES_FAILURE_LIMIT - 1
        assert response.status_code == (429 if last else 200)


@pytest.mark.parametrize("path", ["/admin/login/", "/staff/login/"])
def test_five_wrong_passwords_lock_the_merchants_sign_in(merchant: Merchant, path: str) -> None:
    owner = merchant.contact_email
    assert _sign_in(merchant, owner, PASSWORD, path=path).status_code == 302

    _fail_five_times(merchant, owner, path=path)
    refused = _sign_in(merchant, owner, PASSWORD, path=path, **{"Accept-Language": "fr"})

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 30 * 60
    assert "Trop de tentatives de connexion" in refused.content.decode()
    assert "_auth_user_id" not in refused.client.session, "the right password does not sign in"
    english = _sign_in(merchant, owner, PASSWORD, path=path)
    assert LOCKED in english.content.decode()


def test_the_lock_holds_per_account_and_per_address(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        User.objects.create_user(username="cashier", password=PASSWORD)
    owner = merchant.contact_email
    _fail_five_times(merchant, owner, path="/staff/login/")

    # The account, from any address; any account, from this address.
    assert (
        _sign_in(merchant, owner, PASSWORD, path="/staff/login/", address=ELSEWHERE).status_code
        == 429
    )
    assert _sign_in(merchant, "cashier", PASSWORD, path="/staff/login/").status_code == 429
    # Another account from another address is not concerned.
    assert (
        _sign_in(merchant, "cashier", PASSWORD, path="/staff/login/", address=ELSEWHERE).status_code
        == 302
    )


def test_a_lock_stays_in_its_merchant(merchant: Merchant, other_merchant: Merchant) -> None:
    _fail_five_times(merchant, merchant.contact_email, path="/admin/login/")
    assert (
        _sign_in(merchant, merchant.contact_email, PASSWORD, path="/admin/login/").status_code
        == 429
    )
    other = other_merchant.contact_email
    assert _sign_in(other_merchant, other, PASSWORD, path="/admin/login/").status_code == 302


def test_platform_staff_lock_out_and_are_unlocked_in_the_platform_admin() -> None:
    User.objects.create_superuser("root", "root@platform.example", PASSWORD)
    User.objects.create_superuser("support", "support@platform.example", PASSWORD)
    _fail_five_times(None, "root", path="/admin/login/")
    assert _sign_in(None, "root", PASSWORD, path="/admin/login/").status_code == 429

    support = Client(HTTP_HOST="localhost", REMOTE_ADDR=ELSEWHERE)
    assert (
        support.post("/admin/login/", {"username": "support", "password": PASSWORD}).status_code
        == 302
    )
    listing = support.get("/admin/axes/accessattempt/").content.decode()
    assert "root" in listing
    attempt = AccessAttempt.objects.get(username="root")
    deleted = support.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    assert _sign_in(None, "root", PASSWORD, path="/admin/login/").status_code == 302


def test_a_merchant_owner_unlocks_a_cashier_in_the_back_office(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        User.objects.create_user(username="cashier", password=PASSWORD)
    _fail_five_times(merchant, "cashier", path="/staff/login/")
    assert _sign_in(merchant, "cashier", PASSWORD, path="/staff/login/").status_code == 429
    owner = client_for(merchant, REMOTE_ADDR=ELSEWHERE)
    signed_in = owner.post(
        "/admin/login/", {"username": merchant.contact_email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    with schema_context(merchant.schema_name):
        attempt = AccessAttempt.objects.get(username="cashier")
    deleted = owner.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    assert _sign_in(merchant, "cashier", PASSWORD, path="/staff/login/").status_code == 302


def test_platform_staff_unlock_a_merchants_user_from_the_command_line(merchant: Merchant) -> None:
    owner = merchant.contact_email
    _fail_five_times(merchant, owner, path="/admin/login/")
    assert _sign_in(merchant, owner, PASSWORD, path="/admin/login/").status_code == 429

    call_command("tenant_command", "axes_reset_username", owner, schema_name=merchant.schema_name)

    assert _sign_in(merchant, owner, PASSWORD, path="/admin/login/").status_code == 302
