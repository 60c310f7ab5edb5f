"""The counter in one screen, in Chromium at phone and tablet size: a scanned stamp is the scan
button, four PIN digits and the confirm button (six taps, no scrolling), and the terminal is then
back on the lookup screen with the confirmation, ready for the next customer. A ready reward is a
choice on the same screen, sharing the one keypad and confirm button.

With SCREENSHOTS_DIR set (``make screenshots``), the card screen at phone and tablet size, the
reward choice and the confirmation are written there."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Locator, Page, expect

from tests.conftest import PASSWORD, STAMPS_PIN, Loyalty

from . import audit

pytestmark = pytest.mark.usefixtures("committed_db")

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
CASHIER = {"username": "till", "password": "counter passphrase 7"}


def _base(live_server_url: str, loyalty: Loyalty) -> str:
    port = live_server_url.rsplit(":", 1)[1]
    return f"http://{loyalty.merchant.primary_host}:{port}"


def _docs_shot(page: Page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def _check(shot, page: Page, name: str) -> None:
    shot(page, name)
    assert audit.problems(page) == [], name


class Taps:
    """Every click the test makes on the till, counted."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, target: Locator) -> None:
        self.count += 1
        target.click()


def _in_first_viewport(page: Page, selector: str, height: int) -> None:
    """Visible without scrolling: the page is at its top and the control ends above the fold."""
    assert page.evaluate("window.scrollY") == 0
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (selector, box)


def _setup(loyalty: Loyalty):  # type: ignore[no-untyped-def]
    from cards.services import adjust, enroll_customer
    from common.request_meta import RequestMeta
    from staff.services import create_cashier

    with schema_context(loyalty.merchant.schema_name):
        create_cashier(name="Tom Till", stores=[loyalty.stamps_store], **CASHIER)
        card = enroll_customer(store_code="main", name="Scan Me", email="scan@example.com").card
        ready = enroll_customer(store_code="main", name="Rita Ready", email="rita@example.com").card
        adjust(card=ready, stamps_delta=10, notes="paper card", meta=RequestMeta.system())
    return card, ready


def _sign_in(page: Page, base: str, shot=None) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login/"))
    if shot:
        _check(shot, page, "login")
    page.fill("#id_username", CASHIER["username"])
    page.fill("#id_password", CASHIER["password"])
    page.click("main form button[type=submit]")
    # One store for this cashier: no store picker, straight to the lookup screen.
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.locator("#card-number")).to_be_visible()


def test_a_scanned_stamp_is_six_taps_on_one_phone_screen(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts
) -> None:
    card, ready = _setup(committed_loyalty)
    base = _base(live_server_url, committed_loyalty)
    browser = browser_factory(camera_text=card.qr_code_data)
    till = browser.new_page(viewport=PHONE, locale="en-US", device_scale_factor=2)
    _sign_in(till, base, artifacts)
    _check(artifacts, till, "lookup")

    tap = Taps()
    tap(till.locator("#scan"))
    expect(till).to_have_url(re.compile(rf"/staff/card/{card.card_number}/$"), timeout=15_000)
    expect(till.locator("#card-summary")).to_contain_text("Scan Me")
    expect(till.locator("#stamp-count")).to_have_text("0 / 10 stamps")
    # The PIN field takes no phone keyboard: the keypad writes into it.
    expect(till.locator("#pin")).to_have_attribute("readonly", "")
    expect(till.locator("#pin")).to_have_attribute("inputmode", "none")
    expect(till.locator("#staff-name")).to_have_text("Alice")
    _in_first_viewport(till, "#stamp-submit", PHONE["height"])
    expect(till.locator("#stamp-submit")).to_have_text("Add stamp")
    _check(artifacts, till, "card")
    _docs_shot(till, "terminal-card-phone")

    for digit in STAMPS_PIN:
        tap(till.locator(f"[data-key='{digit}']"))
    expect(till.locator("#pin")).to_have_value(STAMPS_PIN)
    tap(till.locator("#stamp-submit"))

    # Back on the lookup screen, for the next customer, with what happened to whom.
    expect(till).to_have_url(re.compile(r"/staff/$"))
    confirmation = till.locator("#confirmation")
    expect(confirmation).to_contain_text("Scan Me")
    expect(confirmation).to_contain_text("1 stamp added: 1 of 10.")
    expect(till.locator("#confirmation-balance")).to_have_text("New balance: 1 of 10 stamps")
    expect(till.locator("#scan")).to_be_visible()
    assert tap.count <= 6, tap.count
    expect(till.locator("#shift-operations")).to_contain_text("+1 stamp")
    expect(till.locator("#shift-operations")).not_to_contain_text("+1 stamps")
    _check(artifacts, till, "confirmation")
    _docs_shot(till, "terminal-confirmation-phone")

    # A card whose reward is ready: the reward is a choice on the same screen, one keypad.
    till.goto(f"{base}/staff/card/{ready.card_number}/")
    reward = till.locator("#choose-redeem-stamps")
    expect(reward).to_have_text("Give reward: A free coffee")
    _in_first_viewport(till, "#choose-redeem-stamps", PHONE["height"])
    _in_first_viewport(till, "#stamp-submit", PHONE["height"])
    reward.click()
    expect(till.locator("#choose-redeem-stamps")).to_have_attribute("aria-current", "true")
    expect(till.locator("[data-keypad]")).to_have_count(1)
    _in_first_viewport(till, "#redeem-stamps-submit", PHONE["height"])
    _check(artifacts, till, "reward")
    _docs_shot(till, "terminal-reward-phone")
    for digit in STAMPS_PIN:
        till.locator(f"[data-key='{digit}']").click()
    till.click("#redeem-stamps-submit")
    expect(till).to_have_url(re.compile(r"/staff/$"))
    expect(till.locator("#confirmation")).to_contain_text("Rita Ready")
    expect(till.locator("#confirmation")).to_contain_text("Reward given: A free coffee.")
    expect(till.locator("#confirmation-balance")).to_have_text("New balance: 0 of 10 stamps")

    # The same screen on the counter's tablet.
    tablet = browser.new_page(viewport=TABLET, locale="en-US")
    _sign_in(tablet, base)
    tablet.goto(f"{base}/staff/card/{card.card_number}/")
    _in_first_viewport(tablet, "#stamp-submit", TABLET["height"])
    _check(artifacts, tablet, "card-tablet")
    _docs_shot(tablet, "terminal-card-tablet")


def test_a_stamp_that_brings_the_reward_says_so_and_a_wrong_pin_counts_down(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts
) -> None:
    from cards.services import adjust
    from common.request_meta import RequestMeta

    card, _ready = _setup(committed_loyalty)
    with schema_context(committed_loyalty.merchant.schema_name):
        adjust(card=card, stamps_delta=9, notes="paper card", meta=RequestMeta.system())
    base = _base(live_server_url, committed_loyalty)
    till = browser_factory().new_page(viewport=PHONE, locale="en-US")
    _sign_in(till, base)
    # No phone at hand: the customer is found by name, e-mail or phone.
    till.fill("#card-number", "scan@example")
    till.click("#lookup")
    expect(till.locator("#search-results li")).to_have_count(1)
    expect(till.locator("#search-results")).to_contain_text("Scan Me")
    _check(artifacts, till, "search")
    till.locator("#search-results a").click()
    expect(till).to_have_url(re.compile(rf"/staff/card/{card.card_number}/$"))
    expect(till.locator("#stamp-count")).to_have_text("9 / 10 stamps")

    for digit in "9999":
        till.locator(f"[data-key='{digit}']").click()
    till.click("#stamp-submit")
    expect(till.locator("#result")).to_have_text(
        "Wrong PIN. 4 tries left before this PIN is locked."
    )
    _in_first_viewport(till, "#stamp-submit", PHONE["height"])
    _check(artifacts, till, "wrong-pin")

    for digit in STAMPS_PIN:
        till.locator(f"[data-key='{digit}']").click()
    till.click("#stamp-submit")
    expect(till.locator("#confirmation-reward")).to_contain_text(
        "Reward now available: A free coffee"
    )
    _check(artifacts, till, "reward-now")


def test_the_merchant_home_signs_in_cashiers_to_the_terminal_and_owners_to_the_back_office(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts
) -> None:
    _setup(committed_loyalty)
    base = _base(live_server_url, committed_loyalty)
    browser = browser_factory()

    cashier = browser.new_page(viewport=PHONE, locale="en-US")
    cashier.goto(f"{base}/")
    _check(artifacts, cashier, "home")
    cashier.fill("#id_username", CASHIER["username"])
    cashier.fill("#id_password", CASHIER["password"])
    cashier.click("#home-sign-in button[type=submit]")
    expect(cashier).to_have_url(re.compile(r"/staff/$"))
    expect(cashier.locator("#scan, #card-number").first).to_be_visible()

    owner = browser.new_page(viewport=PHONE, locale="en-US")
    owner.goto(f"{base}/")
    owner.fill("#id_username", committed_loyalty.merchant.contact_email)
    owner.fill("#id_password", PASSWORD)
    owner.click("#home-sign-in button[type=submit]")
    expect(owner).to_have_url(re.compile(r"/admin/$"))
    # The owner has every store: the terminal asks which one this device is in.
    owner.goto(f"{base}/staff/")
    expect(owner).to_have_url(re.compile(r"/staff/store/$"))
    _check(artifacts, owner, "store-picker")


def test_a_points_card_fits_one_phone_screen_with_its_reward_choice(
    live_server_url: str, committed_loyalty: Loyalty, browser_factory, artifacts
) -> None:
    from cards.services import adjust, enroll_customer
    from common.request_meta import RequestMeta
    from staff.services import create_cashier
    from tests.conftest import POINTS_PIN

    with schema_context(committed_loyalty.merchant.schema_name):
        create_cashier(name="Tom Till", stores=[committed_loyalty.points_store], **CASHIER)
        card = enroll_customer(store_code="bakery", name="Paula", email="paula@example.com").card
        adjust(card=card, points_delta=60, notes="welcome", meta=RequestMeta.system())
    base = _base(live_server_url, committed_loyalty)
    till = browser_factory().new_page(viewport=PHONE, locale="fr-FR")
    till.context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
    _sign_in(till, base)
    till.goto(f"{base}/staff/card/{card.card_number}/")
    expect(till.locator("#points-balance")).to_have_text("60 points")
    _in_first_viewport(till, "#points-submit", PHONE["height"])
    _check(artifacts, till, "points-card")
    till.fill("#amount", "12,50")
    for digit in POINTS_PIN:
        till.locator(f"[data-key='{digit}']").click()
    till.click("#points-submit")
    expect(till.locator("#confirmation")).to_contain_text("Paula")
    expect(till.locator("#confirmation-balance")).to_contain_text("78 points")

    till.goto(f"{base}/staff/card/{card.card_number}/")
    till.click("#choose-redeem-points")
    expect(till.locator(".reward-choices label.chip")).to_have_count(1)  # the cake, not the tart
    expect(till.locator("input[name=reward_id][value=cake]")).to_be_checked()
    _in_first_viewport(till, "#redeem-points-submit", PHONE["height"])
    _check(artifacts, till, "points-reward")
