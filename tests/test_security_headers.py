"""Headers every response carries: Content-Security-Policy, Permissions-Policy, API caching."""

from __future__ import annotations

import pytest

from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_pages_forbid_inline_and_foreign_scripts(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).get("/join/main/")

    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_the_swagger_ui_page_has_no_inline_script_and_a_nonce_for_its_style(
    loyalty: Loyalty,
) -> None:
    response = client_for(loyalty.merchant).get("/api/docs/")

    page = response.content.decode()
    style_src = _directives(response["Content-Security-Policy"])["style-src"]
    [nonce] = [source for source in style_src if source.startswith("'nonce-")]
    assert f'<style nonce="{nonce[7:-1]}">' in page
    assert "<script>" not in page
    script = client_for(loyalty.merchant).get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_only_the_terminal_may_use_the_camera(loyalty: Loyalty) -> None:
    client = client_for(loyalty.merchant)

    assert "camera=(self)" in client.get("/staff/login/")["Permissions-Policy"]
    assert "camera=()" in client.get("/join/main/")["Permissions-Policy"]
    assert "camera=()" in client_for(None).get("/")["Permissions-Policy"]


@pytest.mark.parametrize(
    "path", ["/api/v1/vendor/loyalty/cards", "/api/v1/vendor/loyalty/programs", "/api/schema/"]
)
def test_api_responses_are_never_stored(loyalty: Loyalty, path: str) -> None:
    assert loyalty.api().get(path)["Cache-Control"] == "no-store"


def test_a_refused_api_request_is_not_stored_either(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).get("/api/v1/vendor/loyalty/cards")

    assert response.status_code in (401, 403)
    assert response["Cache-Control"] == "no-store"
