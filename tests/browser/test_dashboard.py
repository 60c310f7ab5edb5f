"""The back office's dashboard in Chromium at a desktop and a phone width: it renders its figures
and charts under the admin's Content-Security-Policy (a violation fails the test, see conftest),
and nothing overflows the phone's width. Screenshots go to a temporary folder (DASH_SHOTS to
choose it) for a person to look at; they are not compared."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect

from tests.conftest import PASSWORD, Loyalty
from tests.insights.test_stats import Shop

pytestmark = pytest.mark.usefixtures("committed_db")


def _recent_activity(loyalty: Loyalty) -> None:
    """A few weeks of cards, stamps, points and rewards up to today."""
    today = timezone.localdate()

    def day(ago: int) -> str:
        return (today - timedelta(days=ago)).isoformat()

    with schema_context(loyalty.merchant.schema_name):
        shop = Shop(loyalty)
        for n in range(12):
            enrolled = 25 - 2 * n
            card = shop.enroll("main", f"regular{n}", day(enrolled))
            for visit in range(n % 4 + 1):
                if enrolled - 2 * visit >= 0:
                    shop.stamp(card, day(enrolled - 2 * visit), shop.alice, 1 + visit)
        top = shop.enroll("main", "top", day(20))
        for ago in (20, 19):
            shop.stamp(top, day(ago), shop.alice, 5)
        shop.redeem_stamps(top, day(18), shop.alice)
        for n in range(4):
            card = shop.enroll("bakery", f"bakery{n}", day(10 - n))
            shop.points(card, day(10 - n), 4000 + 1000 * n)
    connection.set_schema_to_public()


def test_the_dashboard_at_desktop_and_phone_widths(
    browser_factory: Callable[..., Browser],
    live_server_url: str,
    committed_loyalty: Loyalty,
    tmp_path: Path,
) -> None:
    _recent_activity(committed_loyalty)
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{committed_loyalty.merchant.primary_host}:{port}"
    shots = Path(os.environ.get("DASH_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    browser = browser_factory()

    for name, width in (("desktop", 1280), ("phone", 390)):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{base}/admin/")
        page.fill("#id_username", f"owner@{committed_loyalty.merchant.schema_name}.example")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")

        expect(page.locator("[data-figure=cards_issued]")).to_contain_text("17")
        expect(page.locator("svg.dash-bars")).to_have_count(4)
        expect(page.locator("[data-flag]").first).to_be_visible()
        # The dashboard fits the screen: no sideways scrolling on a phone.
        overflow = page.evaluate(
            "(d => d.scrollWidth - d.clientWidth)(document.querySelector('.dash'))"
        )
        assert overflow <= 0
        page.locator(".dash-ranges a").first.click()  # last 7 days
        expect(page.locator(".dash-ranges a[aria-current]")).to_have_text("Last 7 days")
        page.goto(f"{base}/admin/")
        page.screenshot(path=shots / f"dashboard-{name}.png", full_page=True)

        page.goto(f"{base}/admin/cards/loyaltytransaction/?transaction_type__exact=stamp_earned")
        expect(page.locator("a[href*='/csv/']")).to_be_visible()
        page.screenshot(path=shots / f"transactions-{name}.png", full_page=True)
        # The filters: a range of days, the type, the store, the staff member.
        page.locator('a[x-on\\:click="filterOpen = true"]').click()
        expect(page.locator("input[name=created_at_from]")).to_be_visible()
        page.fill(
            "input[name=created_at_from]", (timezone.localdate() - timedelta(days=3)).isoformat()
        )
        page.screenshot(path=shots / f"transactions-filters-{name}.png")
        page.close()
