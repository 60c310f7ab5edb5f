"""Rate limits per client address that a client cannot reset, shared by every worker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.test import override_settings

from common.request_meta import _trusted_networks
from common.throttling import ClientIpRateThrottle
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
ENROLL = "/api/v1/loyalty/enroll/main"


def _enroll(loyalty: Loyalty, index: int, **headers: str):
    body = {"name": "Jane", "email": f"jane{index}@example.com", "marketing_consent": False}
    return client_for(loyalty.merchant).post(
        ENROLL, body, content_type="application/json", headers=headers
    )


def test_a_client_chosen_x_forwarded_for_does_not_reset_the_enrollment_budget(
    loyalty: Loyalty,
) -> None:
    # The default rate (60/min) from one address, each request claiming another origin.
    statuses = [
        _enroll(loyalty, i, **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(61)
    ]
    assert statuses[:60] == [201] * 60
    assert statuses[60] == 429


@pytest.fixture
def behind_our_proxy():
    _trusted_networks.cache_clear()
    with override_settings(TRUSTED_PROXIES=["127.0.0.1/32"]):
        yield
    _trusted_networks.cache_clear()


@pytest.mark.usefixtures("behind_our_proxy")
def test_behind_a_trusted_proxy_the_budget_is_the_address_the_proxy_saw(
    loyalty: Loyalty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ClientIpRateThrottle.THROTTLE_RATES, "enroll", "2/min")
    # Our proxy (127.0.0.1) appends the address it saw; what the client wrote before it is noise.
    seen = [f"10.0.0.{i}, 203.0.113.5" for i in range(3)]
    statuses = [
        _enroll(loyalty, i, **{"X-Forwarded-For": h}).status_code for i, h in enumerate(seen)
    ]
    assert statuses == [201, 201, 429]
    assert _enroll(loyalty, 9, **{"X-Forwarded-For": "10.9.9.9, 203.0.113.5"}).status_code == 429
    # Another customer behind the same proxy has a budget of their own.
    assert _enroll(loyalty, 10, **{"X-Forwarded-For": "203.0.113.6"}).status_code == 201


def _join(loyalty: Loyalty, index: int, **headers: str):
    form = {"name": "Jane", "email": f"form{index}@example.com", "locale": "en"}
    return client_for(loyalty.merchant).post("/join/main/", form, headers=headers)


def test_the_join_form_shares_the_enrollment_budget_and_answers_a_translated_429(
    loyalty: Loyalty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ClientIpRateThrottle.THROTTLE_RATES, "enroll", "3/min")
    assert _enroll(loyalty, 1).status_code == 201
    assert _join(loyalty, 2, **{"X-Forwarded-For": "198.51.100.2"}).status_code == 302
    assert _join(loyalty, 3, **{"X-Forwarded-For": "198.51.100.3"}).status_code == 302

    refused = _join(loyalty, 4, **{"X-Forwarded-For": "198.51.100.4", "Accept-Language": "fr"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Trop de tentatives" in refused.content.decode()
    assert _enroll(loyalty, 5).status_code == 429
    # Showing the form is not counted.
    assert client_for(loyalty.merchant).get("/join/main/").status_code == 200


def test_merchant_sign_up_is_throttled_per_address() -> None:
    # Each attempt counts, valid or not (a valid one creates a schema): 5 per hour by default.
    platform = client_for(None)
    statuses = [
        platform.post(
            "/signup/", {"slug": f"s{i}"}, headers={"X-Forwarded-For": f"198.51.100.{i}"}
        ).status_code
        for i in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    refused = platform.post("/signup/", {}, headers={"Accept-Language": "de"})
    assert refused.status_code == 429
    assert "Zu viele Versuche" in refused.content.decode()
    assert platform.get("/signup/").status_code == 200


_ONE_PROCESS = """
import sys
import django
django.setup()
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory
from common.throttling import ClientIpRateThrottle
ClientIpRateThrottle.THROTTLE_RATES["enroll"] = "1/hour"
throttle = ClientIpRateThrottle("enroll")
allowed = throttle.allow_request(RequestFactory().post("/", REMOTE_ADDR=sys.argv[1]), None)
if sys.argv[2] == "last":
    cache.delete(throttle.key)
print(settings.CACHES["default"]["BACKEND"], allowed)
"""


def test_the_development_cache_shares_throttle_counters_between_processes() -> None:
    """Two worker processes with the default settings spend one budget (not one each)."""
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "DATABASE_URL"}}
    # Never connected to: the throttle only needs the cache.
    env.update(
        DJANGO_SETTINGS_MODULE="loyalty_saas.settings.base",
        DATABASE_URL="postgres://nobody@db.invalid/none",
    )
    address = f"2001:db8::{uuid.uuid4().int % 0xFFFF:x}"

    def worker(order: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", _ONE_PROCESS, address, order],
            cwd=ROOT,
            env=env,
            text=True,
            capture_output=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    assert worker("first") == "django.core.cache.backends.filebased.FileBasedCache True"
    assert worker("last") == "django.core.cache.backends.filebased.FileBasedCache False"
