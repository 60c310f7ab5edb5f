"""While PostgreSQL is unreachable the API answers 503 JSON with Retry-After, pages a 503 page,
and both recover without a restart. The database is really unreachable: the connection's
settings point at a closed port, so every connection attempt is refused by the OS."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test import Client

from merchants.models import Merchant
from merchants.selectors import _hosts

pytestmark = pytest.mark.usefixtures("django_db_setup")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database_down(django_db_blocker: pytest.FixtureDef) -> Iterator[Callable[[], None]]:
    """Points the connection at a closed port; calling the fixture's value brings it back."""
    saved = dict(connection.settings_dict)

    def bring_back() -> None:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
        try:
            yield bring_back
        finally:
            bring_back()
            _hosts.invalidate()


def _client(host: str) -> Client:
    # The errors are the point: let the client return the response instead of raising.
    return Client(HTTP_HOST=host, raise_request_exception=False)


def _assert_unavailable_json(response) -> None:
    assert response.status_code == 503, (response.status_code, response.content[:200])
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "unavailable" and response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_the_api_answers_503_json_while_the_database_is_down(
    database_down: Callable[[], None],
) -> None:
    # The host lookup (the first middleware) is the first to need the database ...
    _assert_unavailable_json(_client("alpha.localhost").get("/api/v1/vendor/loyalty/cards"))
    _assert_unavailable_json(
        _client("alpha.localhost").post(
            "/api/v1/loyalty/enroll/main", {}, content_type="application/json"
        )
    )
    # ... and with the host known from the in-process cache, the view's own queries are.
    _hosts.get_or_load("cached.localhost", lambda: Merchant(schema_name="cached"))
    _assert_unavailable_json(
        _client("cached.localhost").post(
            "/api/v1/loyalty/enroll/main",
            {"name": "Jane", "email": "jane@example.com", "marketing_consent": False},
            content_type="application/json",
        )
    )


def test_pages_answer_a_503_page_while_the_database_is_down(
    database_down: Callable[[], None],
) -> None:
    response = _client("alpha.localhost").get("/join/main/", headers={"Accept-Language": "fr"})
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    assert "Service momentanément indisponible" in response.content.decode()


def test_the_api_recovers_once_the_database_is_back(
    database_down: Callable[[], None],
) -> None:
    client = _client("nobody.localhost")
    _assert_unavailable_json(client.get("/api/v1/vendor/loyalty/cards"))
    assert _client("localhost").get("/healthz").status_code == 503

    database_down()

    # Same process, same client: the host lookup reaches the database again (no such merchant).
    response = client.get("/api/v1/vendor/loyalty/cards")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert _client("localhost").get("/healthz").status_code == 200
