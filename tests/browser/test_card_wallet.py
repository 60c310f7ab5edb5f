"""The card page's wallet buttons in Chromium: with Apple Wallet set up, a black "Add to Apple
Wallet" button of our own drawing, readable and large enough to tap on a phone and on a desktop;
with no wallet set up, no wallet section at all."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect

from tests.conftest import Loyalty
from tests.wallets.helpers import switch_wallets_on

from . import audit

pytestmark = pytest.mark.usefixtures("committed_db")

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def _card_page(browser: Browser, live_server_url: str, loyalty: Loyalty, viewport: str) -> Page:
    from cards.services import enroll_customer

    with schema_context(loyalty.merchant.schema_name):
        card = enroll_customer(
            store_code="main", name="Jane Doe", email=f"jane-{viewport}@example.com"
        ).card
        token = card.public_token
    port = live_server_url.rsplit(":", 1)[1]
    page = browser.new_context(
        viewport=VIEWPORTS[viewport],
        locale="en-US",
        device_scale_factor=2 if viewport == "phone" else 1,
    ).new_page()
    page.goto(f"http://{loyalty.merchant.primary_host}:{port}/c/{token}/")
    return page


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_apple_wallet_button_with_apple_wallet_on(
    live_server_url: str,
    committed_loyalty: Loyalty,
    browser_factory,
    artifacts,
    settings: Any,
    viewport: str,
) -> None:
    switch_wallets_on(settings, google=False)
    page = _card_page(browser_factory(), live_server_url, committed_loyalty, viewport)

    button = page.get_by_role("link", name="Add to Apple Wallet")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("href", re.compile(r"/passes/apple/\w+\.pkpass$"))
    expect(page.locator("[data-wallet=google]")).to_have_count(0)
    colours = button.evaluate(
        "(el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    )
    assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
    box = button.bounding_box()
    assert box and box["height"] >= 44
    # The glyph and the words sit on one line, inside the button.
    glyph = button.locator("svg.wallet-glyph").bounding_box()
    words = button.locator(".wallet-name").bounding_box()
    assert (
        glyph
        and words
        and abs((glyph["y"] + glyph["height"] / 2) - (words["y"] + words["height"] / 2)) < 4
    )
    assert glyph["x"] + glyph["width"] <= words["x"]
    # As wide as the panel it sits in, like the other controls of the page.
    panel = page.locator(".wallet").bounding_box()
    assert panel and box["width"] >= panel["width"] - 2 * 17
    button.scroll_into_view_if_needed()
    artifacts(page, f"apple-on-{viewport}")
    assert audit.problems(page) == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_no_wallet_section_with_no_wallet_on(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts, viewport: str
) -> None:
    page = _card_page(browser_factory(), live_server_url, committed_loyalty, viewport)
    expect(page.locator(".card-number")).to_be_visible()
    expect(page.locator(".wallet")).to_have_count(0)
    expect(page.get_by_text("Add to your phone")).to_have_count(0)
    artifacts(page, f"apple-off-{viewport}")
    assert audit.problems(page) == []
