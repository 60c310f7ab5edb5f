"""End to end in Chromium: a customer joins, a cashier stamps (right PIN, wrong PIN, cooldown),
the customer's card page shows the stamp; and the terminal finds a card with the camera.

Screenshots of every screen go to test-artifacts/screenshots/. With SCREENSHOTS_DIR set (``make
screenshots``), phone and tablet views of the terminal and the card page are also written there
for the README.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect

from tests.conftest import STAMPS_PIN, Loyalty

from . import audit

pytestmark = pytest.mark.usefixtures("committed_db")

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
CASHIER = {"username": "cashier", "password": "counter passphrase 7"}


def _base(live_server_url: str, loyalty: Loyalty) -> str:
    port = live_server_url.rsplit(":", 1)[1]
    return f"http://{loyalty.merchant.primary_host}:{port}"


def _cashier(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        User.objects.create_user(**CASHIER)


def _check(shot, page: Page, name: str) -> None:
    """Save the screen, then hold it to WCAG AA contrast and our touch-target size."""
    shot(page, name)
    assert audit.problems(page) == [], name


def _page(browser: Browser, viewport: dict[str, int]) -> Page:
    context = browser.new_context(
        viewport=viewport, locale="en-US", device_scale_factor=2 if viewport == PHONE else 1
    )
    return context.new_page()


def _docs_shot(page: Page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def _sign_in(page: Page, base: str, shot) -> None:
    page.goto(f"{base}/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login/"))
    _check(shot, page, "terminal-sign-in")
    page.fill("#id_username", CASHIER["username"])
    page.fill("#id_password", CASHIER["password"])
    page.click("main button[type=submit]")
    page.click("button[name=store][value=main]")
    expect(page.locator("#card-number")).to_be_visible()


def _enter_pin(page: Page, form: str, pin: str) -> None:
    panel = page.locator(f"#{form}")
    expect(panel.locator("#staff-name")).to_have_text("Alice")  # the store's only staff member
    panel.locator("[data-key=clear]").click()
    for digit in pin:
        panel.locator(f"[data-key='{digit}']").click()


def test_a_customer_joins_and_a_cashier_stamps_the_card(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts
) -> None:
    base = _base(live_server_url, committed_loyalty)
    _cashier(committed_loyalty)
    browser = browser_factory()

    # The customer scans the store's QR code and joins, on their phone.
    phone = _page(browser, PHONE)
    phone.goto(f"{base}/join/main/")
    _check(artifacts, phone, "join")
    phone.fill("#id_name", "Jane Doe")
    phone.fill("#id_email", "jane@example.com")
    phone.check("#id_marketing_consent")
    phone.click(".join-form button[type=submit]")
    expect(phone).to_have_url(re.compile(r"/c/[\w-]+/$"))
    expect(phone.get_by_text("0 of 10 stamps")).to_be_visible()
    _check(artifacts, phone, "card-new")
    number = re.sub(r"\D", "", phone.locator(".card-number").first.inner_text())
    assert len(number) == 12

    # The cashier, on the counter tablet.
    till = _page(browser, TABLET)
    _sign_in(till, base, artifacts)
    _check(artifacts, till, "terminal-home")
    till.fill("#card-number", number)
    till.click("#lookup")
    expect(till.locator("#card-summary")).to_contain_text("Jane Doe")
    expect(till.locator("#stamp-count")).to_have_text("0 / 10 stamps")
    _check(artifacts, till, "terminal-card")

    _enter_pin(till, "stamp-form", STAMPS_PIN)
    till.click("#stamp-submit")
    # Done: back on the lookup screen for the next customer, with what happened to whom.
    expect(till.locator("#confirmation")).to_contain_text("Jane Doe")
    expect(till.locator("#confirmation")).to_contain_text("1 stamp added: 1 of 10.")
    _check(artifacts, till, "terminal-stamped")

    till.fill("#card-number", number)
    till.click("#lookup")
    expect(till.locator("#stamp-count")).to_have_text("1 / 10 stamps")
    _enter_pin(till, "stamp-form", "9999")
    till.click("#stamp-submit")
    expect(till.locator("#result")).to_have_text(
        "Wrong PIN. 4 tries left before this PIN is locked."
    )
    _check(artifacts, till, "terminal-wrong-pin")

    _enter_pin(till, "stamp-form", STAMPS_PIN)
    till.click("#stamp-submit")
    expect(till.locator("#result")).to_have_text(
        "Too soon: this card just got a stamp. Wait 15 more minutes."
    )
    expect(till.locator("#shift-operations")).to_contain_text(number[-4:])
    expect(till.locator("#shift-operations")).to_contain_text("+1 stamp")
    _check(artifacts, till, "terminal-cooldown")

    # Back on the customer's phone, the open card page has updated itself: no reload.
    expect(phone.get_by_text("1 of 10 stamps")).to_be_visible(timeout=5000)
    expect(phone.locator(".activity-sentence").first).to_have_text("+1 stamp at Main Street")
    assert phone.locator(".stamps .filled, .stamp-grid .filled").count() == 1
    _check(artifacts, phone, "card-one-stamp")

    # The views the README shows.
    _docs_shot(phone, "card-phone")
    tablet_card = _page(browser, TABLET)
    tablet_card.goto(phone.url)
    _docs_shot(tablet_card, "card-tablet")
    _docs_shot(till, "terminal-tablet")
    phone_till = _page(browser, PHONE)
    _sign_in(phone_till, base, lambda *a: None)
    phone_till.goto(f"{base}/staff/card/{number}/")
    _docs_shot(phone_till, "terminal-phone")


def test_the_terminal_finds_a_card_with_the_camera(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts
) -> None:
    base = _base(live_server_url, committed_loyalty)
    _cashier(committed_loyalty)
    with schema_context(committed_loyalty.merchant.schema_name):
        from cards.services import enroll_customer

        card = enroll_customer(store_code="main", name="Scan Me", email="scan@example.com").card

    # The fake camera films the QR code the customer's card page shows: the card number.
    browser = browser_factory(camera_text=card.qr_code_data)
    till = _page(browser, PHONE)
    _sign_in(till, base, artifacts)
    expect(till.locator("#scan")).to_be_visible()
    till.click("#scan")
    expect(till).to_have_url(re.compile(rf"/staff/card/{card.card_number}/$"), timeout=15_000)
    expect(till.locator("#card-summary")).to_contain_text("Scan Me")
    artifacts(till, "terminal-scanned")


def test_a_points_card_in_german(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts
) -> None:
    from cards.services import StaffAuth, add_points, enroll_customer
    from common.request_meta import RequestMeta
    from tests.conftest import POINTS_PIN

    with schema_context(committed_loyalty.merchant.schema_name):
        card = enroll_customer(store_code="bakery", name="Lena", email="lena@example.com").card
        add_points(
            card_number=card.card_number,
            purchase_amount_cents=4000,  # 1.5 points a euro: 60 points
            staff=StaffAuth(staff_pin_id=committed_loyalty.points_pin_id, pin=POINTS_PIN),
            meta=RequestMeta(source="api"),
        )

    base = _base(live_server_url, committed_loyalty)
    context = _page(browser_factory(), PHONE).context
    context.add_cookies([{"name": "django_language", "value": "de", "url": base}])
    phone = context.new_page()
    phone.goto(f"{base}/c/{card.public_token}/")
    expect(phone.locator("html")).to_have_attribute("lang", "de")
    expect(phone.locator(".points-balance")).to_have_text("60 Punkte")
    expect(phone.get_by_text("Sie haben genug Punkte für eine Prämie!")).to_be_visible()
    expect(phone.get_by_text("Noch 60 Punkte bis „A tart“.")).to_be_visible()
    expect(phone.locator(".rewards li.is-ready")).to_have_count(1)
    _check(artifacts, phone, "points-card-de")
