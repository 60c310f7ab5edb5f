"""A new merchant's first hour in Chromium: sign up (signed in straight away), then the set-up
checklist step by step — a store, a programme (whose preview follows the colour), a PIN, a cashier,
the poster, a first stamp by the cashier at the terminal — and back home with every step ticked
and the dashboard counting that stamp.

With SCREENSHOTS_DIR set (``make screenshots``), the dashboard at desktop and phone width is
written there for the README."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("committed_db")

PIN = "4826"


def _steps_done(page: Page) -> list[str]:
    return page.locator("#setup-checklist [data-done=true]").evaluate_all(
        "nodes => nodes.map(node => node.dataset.step)"
    )


def _home(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/")
    expect(page.locator("#setup-checklist")).to_be_visible()


def test_a_new_merchant_goes_from_sign_up_to_a_first_stamp(
    live_server_url: str, browser_factory, artifacts, settings
) -> None:
    port = live_server_url.rsplit(":", 1)[1]
    settings.PUBLIC_PORT = port  # links to the merchant host point at the live server
    base = f"http://kiosk.localhost:{port}"
    browser = browser_factory()
    page = owner = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")

    # Sign-up signs the owner in and opens the back office on the checklist.
    page.goto(f"{live_server_url}/signup/")
    page.fill("#id_name", "Kiosk Coffee")
    page.fill("#id_slug", "kiosk")
    page.fill("#id_email", "owner@kiosk.example")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(f"{base}/admin/")
    expect(page.locator("#setup-checklist")).to_contain_text("0 of 5 done")
    assert _steps_done(page) == []
    artifacts(page, "1-checklist-empty")

    # A store.
    page.click("#setup-checklist [data-step=store] a")
    page.fill("#id_name", "Kiosk Station")
    page.fill("#id_code", "station")
    page.click("button[name=_save]")
    _home(page, base)
    assert _steps_done(page) == ["store"]

    # A programme, with its preview following the colour.
    page.click("#setup-checklist [data-step=program] a")
    preview = page.locator("#program-preview [data-preview=card]")
    expect(preview).to_be_visible()
    page.get_by_label("Kiosk Station").check()
    page.fill("#id_card_name", "Kiosk Card")
    page.fill("#id_stamps_target", "8")
    page.fill("#id_stamps_reward_description", "A free coffee")
    expect(page.locator("#program-preview [data-preview=name]").first).to_have_text("Kiosk Card")
    expect(page.locator("#program-preview [data-preview=grid] li")).to_have_count(8)
    artifacts(page, "2-programme-preview-before")
    page.fill("#id_card_color", "#f5c518")
    background = preview.evaluate("node => getComputedStyle(node).backgroundColor")
    assert background == "rgb(245, 197, 24)"
    ink = preview.evaluate("node => getComputedStyle(node).color")
    assert ink == "rgb(0, 0, 0)"  # dark ink on yellow
    expect(page.locator("#program-preview [data-preview=primary-value]")).to_have_text("3 / 8")
    page.locator("#program-preview").scroll_into_view_if_needed()
    artifacts(page, "3-programme-preview-yellow")
    page.click("button[name=_save]")
    expect(page.locator(".errornote, .errorlist")).to_have_count(0)
    _home(page, base)
    assert _steps_done(page) == ["store", "program"]

    # A staff PIN.
    page.click("#setup-checklist [data-step=pin] a")
    page.select_option("#id_store", label="Kiosk Station")
    page.fill("#id_name", "Alice")
    page.fill("#id_pin", PIN)
    page.click("button[name=_save]")
    _home(page, base)
    assert _steps_done(page) == ["store", "program", "pin"]

    # A cashier, who may use the counter terminal of that store only.
    page.goto(f"{base}/admin/staff/cashier/add/")
    page.fill("#id_name", "Bob Martin")
    page.fill("#id_username", "bob")
    page.fill("#id_password", "counter-pass-2026")
    page.get_by_label("Kiosk Station").check()
    page.click("button[name=_save]")
    expect(page.get_by_text("Bob Martin").first).to_be_visible()
    artifacts(page, "4-cashier")
    _home(page, base)

    # The poster.
    page.click("#setup-checklist [data-step=poster] a")
    expect(page.get_by_text("Kiosk Card").first).to_be_visible()
    artifacts(page, "4-poster")
    _home(page, base)
    assert _steps_done(page) == ["store", "program", "pin", "poster"]

    # A customer joins; the owner gives the first stamp at the terminal.
    customer = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US")
    customer.goto(f"{base}/join/station/")
    customer.fill("#id_name", "Jane Doe")
    customer.fill("#id_email", "jane@example.com")
    customer.click(".join-form button[type=submit]")
    expect(customer).to_have_url(re.compile(r"/c/[\w-]+/$"))
    number = re.sub(r"\D", "", customer.locator(".card-number").first.inner_text())

    # The cashier signs in at the terminal on the counter's tablet.
    counter = browser.new_page(viewport={"width": 820, "height": 1180}, locale="en-US")
    counter.goto(f"{base}/staff/")
    counter.fill("#id_username", "bob")
    counter.fill("#id_password", "counter-pass-2026")
    counter.click("main form button[type=submit]")
    if counter.locator("button[name=store][value=station]").count():
        counter.click("button[name=store][value=station]")
    page = counter
    page.fill("#card-number", number)
    page.click("#lookup")
    expect(page.locator("#stamp-count")).to_have_text("0 / 8 stamps")
    form = page.locator("#stamp-form")
    form.locator("[data-key=clear]").click()
    for digit in PIN:
        form.locator(f"[data-key='{digit}']").click()
    page.click("#stamp-submit")
    expect(page.locator("#confirmation")).to_contain_text("1 stamp added: 1 of 8.")
    artifacts(page, "5-terminal-stamp")

    # Back home: all set, and the dashboard counts the stamp.
    page = owner
    page.goto(f"{base}/admin/")
    checklist = page.locator("#setup-checklist")
    expect(checklist).to_contain_text("You're all set")
    assert _steps_done(page) == ["store", "program", "pin", "poster", "stamp"]
    artifacts(page, "6-all-set")
    expect(page.locator(".dash [data-figure=stamps_earned]")).to_have_attribute("data-value", "1")
    expect(page.locator(".dash [data-figure=cards_issued]")).to_have_attribute("data-value", "1")
    expect(page.locator(".dash")).to_contain_text("Jane Doe")  # the top customers
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        page.screenshot(path=Path(folder) / "backoffice-dashboard-desktop.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        page.screenshot(path=Path(folder) / "backoffice-dashboard-phone.png", full_page=True)
