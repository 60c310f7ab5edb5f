"""A customer erases their data in Chromium: "Erase my data" on the card page, the link from the
e-mail, the confirmation; on a phone (390 px) and a desktop (1280 px), each screen held to WCAG AA
contrast and touch-target size. Screenshots go to a temporary directory (printed), not the repo.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect

from cards.models import Customer, DataRequest, LoyaltyCard
from tests.conftest import Loyalty

from . import audit

pytestmark = pytest.mark.usefixtures("committed_db")

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LINK = re.compile(r"https?://[^\s\"<>]+/my-data/\?token=[^\s\"<>]+")


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("self-service-screens")
    print(f"\nscreenshots: {folder}")
    return folder


def _page(browser: Browser, viewport: str) -> Page:
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],
        locale="en-US",
        device_scale_factor=2 if viewport == "phone" else 1,
    )
    return context.new_page()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_customer_erases_their_data_from_the_card_page(
    live_server_url: str,
    committed_loyalty: Loyalty,
    browser_factory,
    screenshots: Path,
    viewport: str,
) -> None:
    from cards.services import enroll_customer

    shop = committed_loyalty
    with schema_context(shop.merchant.schema_name):
        card = enroll_customer(
            store_code="main",
            name="Jane Doe",
            email=f"jane-{viewport}@example.com",
            marketing_consent=True,
        ).card
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{shop.merchant.primary_host}:{port}"
    page = _page(browser_factory(), viewport)

    def check(name: str) -> None:
        page.screenshot(path=screenshots / f"{viewport}-{name}.png", full_page=True)
        assert audit.problems(page) == [], name

    page.goto(f"{base}/c/{card.public_token}/")
    data = page.locator("section.your-data")
    expect(data).to_contain_text("You agreed to receive offers on")
    data.scroll_into_view_if_needed()
    check("card")

    data.get_by_role("button", name="Erase my data").click()

    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    check("asked")
    [message] = [m for m in mail.outbox if m.to == [f"jane-{viewport}@example.com"]]
    [url] = set(LINK.findall(message.body))
    parts = urlsplit(url)
    page.goto(f"{base}{parts.path}?{parts.query}")
    expect(page.get_by_role("heading", name="Erase your data")).to_be_visible()
    expect(page.get_by_text("What is kept")).to_be_visible()
    check("confirm")
    with schema_context(shop.merchant.schema_name):
        assert Customer.objects.get(pk=card.customer_id).erased_at is None  # not yet

    page.get_by_role("button", name="Erase my data").click()

    expect(page.get_by_role("heading", name="Your data has been erased")).to_be_visible()
    check("erased")
    with schema_context(shop.merchant.schema_name):
        customer = Customer.objects.get(pk=card.customer_id)
        assert customer.erased_at is not None and customer.name == "Erased customer"
        assert LoyaltyCard.objects.get(pk=card.pk).is_active is False
        assert list(
            DataRequest.objects.filter(customer_id=customer.pk).values_list("kind", "requested_by")
        ) == [("erasure", "customer (self-service)")]
    # The old card page is gone, and the e-mailed link is spent.
    assert page.goto(f"{base}/c/{card.public_token}/").status == 404
    again = page.goto(f"{base}{parts.path}?{parts.query}")
    assert again is not None and again.status == 410
    expect(page.get_by_text("Your data has already been erased.")).to_be_visible()
    check("spent")
