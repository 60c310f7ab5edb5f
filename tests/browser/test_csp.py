"""The Content-Security-Policy in Chromium: the back office, the API docs and the platform pages
work under it, and a violation is caught (every browser test fails on one, see conftest).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.conftest import PASSWORD, Loyalty

pytestmark = pytest.mark.usefixtures("committed_db")

ORIGIN = "http://csp.localhost"


def _base(live_server_url: str, loyalty: Loyalty) -> str:
    port = live_server_url.rsplit(":", 1)[1]
    return f"http://{loyalty.merchant.primary_host}:{port}"


def test_an_inline_script_under_the_policy_is_reported(
    browser_factory: Callable[..., Browser], csp_violations: list[str]
) -> None:
    def serve(route: Route) -> None:
        route.fulfill(
            body="<!doctype html><title>x</title><script>document.title = 'ran'</script>",
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": "script-src 'self'"},
        )

    page = browser_factory().new_page()
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")

    assert page.title() == "x", "the inline script was refused"
    assert any("script-src" in violation for violation in csp_violations)
    csp_violations.clear()  # provoked on purpose


def test_the_back_office_and_the_api_docs_work_under_the_policy(
    browser_factory: Callable[..., Browser],
    live_server_url: str,
    committed_loyalty: Loyalty,
) -> None:
    base = _base(live_server_url, committed_loyalty)
    page = browser_factory().new_page()

    page.goto(f"{base}/admin/")
    page.fill("#id_username", f"owner@{committed_loyalty.merchant.schema_name}.example")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#nav-sidebar-inner")).to_be_visible()

    store = committed_loyalty.stamps_store.pk
    page.goto(f"{base}/admin/programs/store/{store}/change/")
    expect(page.locator("#store_form")).to_be_visible()
    page.goto(f"{base}/admin/programs/loyaltyprogram/{committed_loyalty.stamps_program.pk}/change/")
    expect(page.locator("#loyaltyprogram_form")).to_be_visible()

    page.goto(f"{base}/admin/programs/store/{store}/poster/")
    expect(page.locator("button[data-print]")).to_be_visible()
    # The print button is wired by the static script (window.print stubbed: headless).
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    page.click("button[data-print]")
    expect(page.locator("body[data-printed=yes]")).to_have_count(1)

    page.goto(f"{base}/admin/staff/apikey/add/")
    page.fill("#id_name", "Till 9")
    page.locator("input[name=scopes]").first.check()
    page.click("[name=_save]")
    expect(page.locator("#api-key")).to_have_value(re.compile(r"^lk_"))

    page.goto(f"{base}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Loyalty SaaS API")

    platform = live_server_url
    page.goto(f"{platform}/")
    page.goto(f"{platform}/signup/")
    expect(page.locator("#id_slug")).to_be_visible()
