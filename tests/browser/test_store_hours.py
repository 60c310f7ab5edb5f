"""The owner types a store's opening hours in the back office, a day a line, in Chromium."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from programs.models import Store
from tests.conftest import PASSWORD, Loyalty

pytestmark = pytest.mark.usefixtures("committed_db")


def test_the_owner_sets_the_opening_hours_and_is_told_what_is_wrong(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts
) -> None:
    loyalty = committed_loyalty
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{loyalty.merchant.primary_host}:{port}"
    page = browser_factory().new_context(locale="en-US").new_page()
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", f"owner@{loyalty.merchant.slug}.example")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.goto(f"{base}/admin/programs/store/{loyalty.stamps_store.pk}/change/")

    page.get_by_label("Monday").fill("08:00-13:00, 12:00-19:00")
    page.get_by_label("Friday").fill("08:00-12:00, 18:00-02:00")
    page.click("input[name=_continue]")

    expect(page.locator(".errorlist")).to_contain_text(
        "Monday: 12:00-19:00 overlaps Monday 08:00-13:00."
    )
    artifacts(page, "refused")
    page.get_by_label("Monday").fill("8h-12h, 14h-19h")
    page.click("input[name=_continue]")

    expect(page.locator(".messagelist")).to_be_visible()
    expect(page.get_by_label("Monday")).to_have_value("08:00-12:00, 14:00-19:00")
    artifacts(page, "saved")
    with schema_context(loyalty.merchant.schema_name):
        hours = Store.objects.get(pk=loyalty.stamps_store.pk).opening_hours
    assert hours["fri"] == [["08:00", "12:00"], ["18:00", "02:00"]]
