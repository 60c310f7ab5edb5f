"""The campaign composer in Chromium: the lock-screen line's counter follows the typing, and the
preview of who the audience reaches follows the audience (asked of the server), under the
admin's Content-Security-Policy (a violation fails the test, see conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect

from tests.conftest import PASSWORD, Loyalty
from tests.messaging.helpers import enrol, on_apple, on_google_record
from tests.wallets.helpers import switch_wallets_on

pytestmark = pytest.mark.usefixtures("committed_db")


def test_the_composer_counts_the_line_and_previews_the_audience(
    browser_factory: Callable[..., Browser],
    live_server_url: str,
    committed_loyalty: Loyalty,
    settings: Any,
) -> None:
    # The preview counts a wallet's passes only while that wallet is on, as the delivery does.
    switch_wallets_on(settings)
    with schema_context(committed_loyalty.merchant.schema_name):
        for n in range(3):
            on_apple(enrol(email=f"main{n}@example.com"))
        for n in range(2):
            card = enrol(store_code="bakery", email=f"bakery{n}@example.com")
            on_google_record(card, f"issuer.card-{card.pk}")
    connection.set_schema_to_public()
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{committed_loyalty.merchant.primary_host}:{port}"

    page = browser_factory().new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/admin/messaging/message/add/")
    page.fill("#id_username", f"owner@{committed_loyalty.merchant.schema_name}.example")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    counter = page.locator("[data-counter-for=id_text_en]")
    expect(counter).to_have_text("0/90")
    page.locator("#id_text_en").press_sequentially("Double stamps!")
    expect(counter).to_have_text("14/90")
    page.fill("#id_text_en", "x" * 91)
    expect(counter).to_have_text("91/90")
    expect(counter).to_have_attribute("data-over", "")

    preview = page.locator("#msg-preview")
    expect(preview.locator("[data-figure=targeted]")).to_have_text("5")
    # The store list appears for "a store's customers" only.
    expect(page.locator("#id_audience_store")).to_be_hidden()
    page.select_option("#id_audience", "store")
    expect(page.locator("#id_audience_store")).to_be_visible()
    page.select_option("#id_audience_store", str(committed_loyalty.points_store.pk))
    expect(preview.locator("[data-figure=targeted]")).to_have_text("2")
    expect(preview.locator("[data-figure=google]")).not_to_have_text("0")
    expect(preview.locator("[data-figure=apple]")).to_have_text("0")
    page.select_option("#id_audience", "reward_ready")
    expect(preview.locator("[data-figure=targeted]")).to_have_text("0")
