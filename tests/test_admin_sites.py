"""Both admin sites (the merchant's back office and the platform admin) in their theme."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, Loyalty, client_for

pytestmark = pytest.mark.django_db


def test_signing_in_on_the_bare_login_page_lands_on_the_back_office_home(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    page = client.get("/admin/login/", follow=True)
    assert page.status_code == 200 and b'name="password"' in page.content

    signed_in = client.post(
        page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"],
        {"username": f"owner@{loyalty.merchant.slug}.example", "password": PASSWORD},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_back_office_sidebar_groups_pages_as_a_merchant_thinks(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    client.post(
        "/admin/login/?next=/admin/",
        {"username": f"owner@{loyalty.merchant.slug}.example", "password": PASSWORD},
    )
    html = client.get("/admin/cards/customer/").content.decode()
    sidebar = html.split('id="nav-sidebar-inner"', 1)[1].split('id="main"', 1)[0]
    groups = ["Customers &amp; cards", "Programmes &amp; stores", "Staff", "Wallets", "Settings"]
    positions = [sidebar.find(group) for group in groups]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "/admin/auth/group/" not in html  # nothing a merchant never needs
    assert "Authentication and Authorization" not in html


def test_only_the_page_shown_is_highlighted_in_the_sidebar(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)
    client.post(
        "/admin/login/?next=/admin/",
        {"username": f"owner@{loyalty.merchant.slug}.example", "password": PASSWORD},
    )
    html = client.get("/admin/staff/staffpin/").content.decode()
    sidebar = html.split('id="nav-sidebar-inner"', 1)[1].split('id="main"', 1)[0]
    links = re.findall(r'<a href="([^"]+)"[^>]*class="([^"]*)"', sidebar)
    highlighted = [href for href, classes in links if "active" in classes.split()]
    assert highlighted == ["/admin/staff/staffpin/"], links


def test_platform_staff_can_delete_a_platform_user(db: None) -> None:
    """Users exist in the public schema too, without the merchants' tables that point at users
    (cashiers): deleting one must not look for those."""
    from django.contrib.auth.models import User
    from django.db import connection

    connection.set_schema_to_public()
    admin = User.objects.create_superuser("root-admin", "root@platform.example", PASSWORD)
    leaver = User.objects.create_user("leaver", "leaver@platform.example", PASSWORD)
    client = client_for(None)
    client.force_login(admin)

    answer = client.post(f"/admin/auth/user/{leaver.pk}/delete/", {"post": "yes"})

    assert answer.status_code == 302
    assert not User.objects.filter(pk=leaver.pk).exists()


def test_deleting_a_cashiers_account_deletes_the_cashier(loyalty: Loyalty) -> None:
    from django_tenants.utils import schema_context

    from staff.models import Cashier
    from staff.services import create_cashier

    with schema_context(loyalty.merchant.schema_name):
        cashier = create_cashier(
            name="Bob Martin", username="bob", password="counter-pass-2026", stores=[]
        )
        cashier.user.delete()
        assert not Cashier.objects.filter(pk=cashier.pk).exists()
