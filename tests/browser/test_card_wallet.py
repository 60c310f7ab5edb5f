"""The card page's wallet buttons in Chromium: with Apple Wallet set up, a black "Add to Apple
Wallet" button of our own drawing, readable and large enough to tap on a phone and on a desktop;
with Google Wallet set up, a black "Add to Google Wallet" pill beside it (or alone) whose link lands
on Google's save page; with no wallet set up, no wallet section at all.

With SCREENSHOTS_DIR set, the card page with both buttons is also written there for the README
(``card-wallets-phone.png``, ``card-wallets-desktop.png``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect

from tests.conftest import Loyalty
from tests.wallets.conftest import google_standin, google_wallet  # noqa: F401 (fixtures)
from tests.wallets.google_standin import GoogleStandIn
from tests.wallets.helpers import switch_wallets_on
from tests.wallets.test_google_sync import settle

from . import audit

pytestmark = pytest.mark.usefixtures("committed_db")

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SAVE_PAGE = re.compile(r"^https://pay\.google\.com/gp/v/save/[\w-]+\.[\w-]+\.[\w-]+$")


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


# Google Wallet


@pytest.fixture
def google_on(google_wallet: GoogleStandIn) -> Iterator[GoogleStandIn]:  # noqa: F811
    """Google Wallet on against the stand-in; the syncs enrolling starts finish before the
    merchant's schema is dropped."""
    yield google_wallet
    settle()


def _docs_shot(page: Page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _black_with_white_words(button: Any) -> None:
    colours = button.evaluate(
        "(el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    )
    assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_both_wallet_buttons_with_both_wallets_on(
    live_server_url: str,
    committed_loyalty: Loyalty,
    browser_factory,
    artifacts,
    settings: Any,
    google_on: GoogleStandIn,
    viewport: str,
) -> None:
    switch_wallets_on(settings, google=False)  # Apple's settings; Google's are the stand-in's
    page = _card_page(browser_factory(), live_server_url, committed_loyalty, viewport)

    apple = page.get_by_role("link", name="Add to Apple Wallet")
    google = page.get_by_role("link", name="Add to Google Wallet")
    expect(apple).to_be_visible()
    expect(google).to_be_visible()
    expect(google).to_have_attribute("href", re.compile(r"/api/v1/loyalty/passes/google/\w+$"))
    for button in (apple, google):
        _black_with_white_words(button)
    # A pill (Google's shape), drawn by us: our glyph beside the words, on one line.
    radius, height = google.evaluate(
        "(el) => [parseFloat(getComputedStyle(el).borderTopLeftRadius), el.offsetHeight]"
    )
    assert radius >= height / 2
    glyph = google.locator("svg.wallet-glyph").bounding_box()
    words = google.locator(".wallet-name").bounding_box()
    assert glyph and words and glyph["x"] + glyph["width"] <= words["x"]
    assert abs((glyph["y"] + glyph["height"] / 2) - (words["y"] + words["height"] / 2)) < 4
    # The same size, one under the other, each as wide as the panel.
    a, g = apple.bounding_box(), google.bounding_box()
    assert a and g and g["height"] >= 44 and abs(a["height"] - g["height"]) < 1
    assert abs(a["width"] - g["width"]) < 1 and g["y"] >= a["y"] + a["height"]
    page.locator(".wallet").scroll_into_view_if_needed()
    artifacts(page, f"both-on-{viewport}")
    _docs_shot(page, f"card-wallets-{viewport}")
    assert audit.problems(page) == []


def test_only_the_google_button_with_only_google_on_and_it_lands_on_googles_save_page(
    live_server_url: str,
    committed_loyalty: Loyalty,
    browser_factory,
    artifacts,
    google_on: GoogleStandIn,
    settings: Any,
) -> None:
    # The card's links are absolute: on the live server's port, so that they can be followed.
    settings.PUBLIC_SCHEME, settings.PUBLIC_PORT = "http", live_server_url.rsplit(":", 1)[1]
    page = _card_page(browser_factory(), live_server_url, committed_loyalty, "phone")
    expect(page.locator("[data-wallet]")).to_have_count(1)
    expect(page.locator("[data-wallet=apple]")).to_have_count(0)
    google = page.get_by_role("link", name="Add to Google Wallet")
    expect(google).to_be_visible()
    artifacts(page, "google-on-phone")
    assert audit.problems(page) == []

    # Chromium cannot reach Google: its save page is answered here, and what arrives is checked.
    reached: list[str] = []

    def google_save_page(route: Any) -> None:
        reached.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>Google Wallet</title>")

    page.context.route("https://pay.google.com/**", google_save_page)
    google.click()
    expect(page).to_have_url(SAVE_PAGE)
    assert len(reached) == 1 and SAVE_PAGE.match(reached[0])
