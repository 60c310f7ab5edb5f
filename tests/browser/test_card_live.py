"""The customer pages in Chromium: the open card page shows a stamp given at the counter (through
the vendor API, over real HTTP) within five seconds, without a reload; the join page, its privacy
notice and the card page pass the contrast and touch-target audit on a phone and a desktop; the
language picker switches as soon as a language is picked.

With SCREENSHOTS_DIR set, these pages are also written there for the README (``card-live-*.png``,
``join-*.png``, ``privacy-phone.png``).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import httpx
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, Request, expect

from tests.conftest import STAMPS_PIN, Loyalty

from . import audit

pytestmark = pytest.mark.usefixtures("committed_db")

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
# A stamp at the counter shows on the open card page within this many milliseconds.
LIVE_WITHIN_MS = 5000


def _base(live_server_url: str, loyalty: Loyalty) -> str:
    port = live_server_url.rsplit(":", 1)[1]
    return f"http://{loyalty.merchant.primary_host}:{port}"


def _page(browser: Browser, viewport: str, **options: object) -> Page:
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],
        locale="en-US",
        device_scale_factor=2 if viewport == "phone" else 1,
        **options,
    )
    return context.new_page()


def _docs_shot(page: Page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _card(loyalty: Loyalty, email: str):
    from cards.services import enroll_customer

    with schema_context(loyalty.merchant.schema_name):
        return enroll_customer(store_code="main", name="Jane Doe", email=email).card


def _stamp_over_http(live_server_url: str, loyalty: Loyalty, card_number: str) -> None:
    """What a till does: the vendor API over HTTP (Python does not resolve *.localhost: the
    merchant's host goes in the Host header)."""
    response = httpx.post(
        f"{live_server_url}/api/v1/vendor/loyalty/stamp",
        json={"card_number": card_number, "staff_pin_id": loyalty.stamps_pin_id, "pin": STAMPS_PIN},
        headers={"Authorization": f"Bearer {loyalty.key}", "Host": loyalty.merchant.primary_host},
        timeout=10,
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_open_card_page_shows_a_stamp_from_the_counter_within_five_seconds(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts, viewport: str
) -> None:
    base = _base(live_server_url, committed_loyalty)
    card = _card(committed_loyalty, f"jane-{viewport}@example.com")
    page = _page(browser_factory(), viewport)
    polls: list[int] = []
    page.on(
        "response",
        lambda response: polls.append(response.status) if "/state/" in response.url else None,
    )
    page.goto(f"{base}/c/{card.public_token}/")
    expect(page.get_by_text("0 of 10 stamps")).to_be_visible()
    expect(page.locator(".activity")).to_contain_text(
        "Your stamps, points and rewards will show here."
    )
    assert page.locator(".stamps .filled").count() == 0
    # Proof that the page is not reloaded: a reload would forget this.
    page.evaluate("window.stillTheSamePage = true")
    # The page asks, and hears that nothing changed (304), before the stamp.
    page.wait_for_timeout(3500)
    assert polls and set(polls) == {304}

    _stamp_over_http(live_server_url, committed_loyalty, card.card_number)
    stamped_at = time.monotonic()

    expect(page.get_by_text("1 of 10 stamps")).to_be_visible(timeout=LIVE_WITHIN_MS)
    assert time.monotonic() - stamped_at < LIVE_WITHIN_MS / 1000
    expect(page.locator(".stamps .filled")).to_have_count(1)
    rows = page.locator(".activity-row")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".activity-sentence")).to_have_text("+1 stamp at Main Street")
    expect(page.locator("[data-live-status]").first).to_have_text("+1 stamp at Main Street")
    assert page.evaluate("window.stillTheSamePage") is True
    assert 200 in polls

    artifacts(page, f"card-live-{viewport}")
    _docs_shot(page, f"card-live-{viewport}")
    assert audit.problems(page) == []


def test_a_hidden_card_page_stops_asking_and_asks_again_when_shown(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory
) -> None:
    base = _base(live_server_url, committed_loyalty)
    card = _card(committed_loyalty, "hidden@example.com")
    page = _page(browser_factory(), "phone")
    asked: list[float] = []

    def on_request(request: Request) -> None:
        if "/state/" in request.url:
            asked.append(time.monotonic())

    page.on("request", on_request)
    page.goto(f"{base}/c/{card.public_token}/")
    expect(page.get_by_text("0 of 10 stamps")).to_be_visible()
    # Chromium headless keeps pages "visible": the tab is hidden the way the browser says so.
    page.evaluate(
        """() => {
        Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    )
    hidden_at = time.monotonic()
    _stamp_over_http(live_server_url, committed_loyalty, card.card_number)
    page.wait_for_timeout(7000)
    assert [t for t in asked if t > hidden_at + 0.5] == []
    expect(page.get_by_text("0 of 10 stamps")).to_be_visible()

    page.evaluate(
        """() => {
        Object.defineProperty(document, "visibilityState", {value: "visible", configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    )
    # Shown again: it asks at once, not after a full interval.
    expect(page.get_by_text("1 of 10 stamps")).to_be_visible(timeout=1500)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_join_page_and_its_privacy_notice_pass_the_audit(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts, viewport: str
) -> None:
    base = _base(live_server_url, committed_loyalty)
    page = _page(browser_factory(), viewport)
    page.goto(f"{base}/join/main/")

    # The preview is the programme's card: ten boxes, in its colour.
    expect(page.locator(".stamps-preview li")).to_have_count(10)
    background = page.locator(".lc-preview").evaluate(
        "(el) => getComputedStyle(el).backgroundColor"
    )
    assert background == "rgb(11, 92, 173)"  # the default #0B5CAD
    expect(page.locator(".offer")).to_have_text("Collect 10 stamps and get a free coffee.")
    artifacts(page, f"join-{viewport}")
    _docs_shot(page, f"join-{viewport}")
    assert audit.problems(page) == []

    page.get_by_role("link", name="Privacy notice").click()
    expect(page).to_have_url(re.compile(r"/join/main/privacy/$"))
    expect(page.locator("h1")).to_have_text("Privacy notice")
    merchant = committed_loyalty.merchant.name
    expect(page.locator(".privacy-lead")).to_contain_text(f"{merchant} runs this loyalty card")
    artifacts(page, f"privacy-{viewport}")
    if viewport == "phone":
        _docs_shot(page, "privacy-phone")
    assert audit.problems(page) == []


def test_the_language_picker_switches_on_selection(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory
) -> None:
    base = _base(live_server_url, committed_loyalty)
    page = _page(browser_factory(), "phone")
    page.goto(f"{base}/join/main/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # With JavaScript, no button: picking is enough.
    expect(page.locator(".lang button")).to_be_hidden()

    page.select_option("#language", "fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(re.compile(r"/join/main/$"))
    expect(page.locator("h1")).to_have_text("Rejoindre Coffee Card")
    expect(page.locator("#language")).to_have_value("fr")

    # The keys change the choice one language at a time: the page waits for Enter.
    page.focus("#language")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.keyboard.press("Enter")
    expect(page.locator("html")).not_to_have_attribute("lang", "fr")
    assert audit.problems(page) == []


def test_without_javascript_the_language_picker_has_its_button(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory
) -> None:
    base = _base(live_server_url, committed_loyalty)
    page = _page(browser_factory(), "phone", java_script_enabled=False)
    page.goto(f"{base}/join/main/")
    button = page.locator(".lang button")
    expect(button).to_be_visible()
    page.select_option("#language", "de")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    button.click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert audit.problems(page) == []
