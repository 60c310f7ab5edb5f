"""Sign-up under real parallel HTTP requests (committed data, live server)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from django.db import connection

from common.throttling import ClientIpRateThrottle
from merchants.models import Merchant
from tests.concurrency import simultaneously
from tests.merchants.test_signup import _form


@pytest.mark.usefixtures("committed_db")
def test_parallel_sign_ups_for_one_slug_create_exactly_one_merchant(
    live_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Six sign-ups from one address: more than the per-address budget, which is not tested here.
    monkeypatch.setitem(ClientIpRateThrottle.THROTTLE_RATES, "signup", "100/min")

    def sign_up(index: int, go: Callable[[], object]) -> httpx.Response:
        with httpx.Client(base_url=live_server_url, timeout=30) as http:
            page = http.get("/signup/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert token  # raised again in the test's thread by simultaneously()
            go()
            return http.post(
                "/signup/",
                data=_form(
                    slug="race",
                    email=f"owner{index}@race.example",
                    csrfmiddlewaretoken=token.group(1),
                ),
            )

    results = simultaneously(6, sign_up)

    statuses = sorted(response.status_code for response in results)
    assert statuses == [302, 400, 400, 400, 400, 400]
    assert all("already taken" in r.text for r in results if r.status_code == 400)
    assert Merchant.objects.filter(schema_name="race").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'race%%'")
        assert cursor.fetchone()[0] == 1
