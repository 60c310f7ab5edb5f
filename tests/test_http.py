"""The project served over real HTTP (a threaded WSGI server on 127.0.0.1)."""

from __future__ import annotations

import httpx
import pytest

from merchants.models import Merchant


@pytest.mark.usefixtures("committed_db")
def test_healthz_over_real_http(live_server_url: str, committed_merchant: Merchant) -> None:
    port = live_server_url.rsplit(":", 1)[1]
    response = httpx.get(
        f"http://127.0.0.1:{port}/healthz",
        headers={"Host": f"{committed_merchant.primary_host}:{port}"},
    )
    assert response.status_code == 200
    assert response.json()["schema"] == committed_merchant.schema_name
