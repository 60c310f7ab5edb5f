from __future__ import annotations

import pytest

from merchants.models import Merchant
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_healthz_on_the_platform_host(merchant: Merchant) -> None:
    response = client_for(None).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "schema": "public"}


def test_healthz_on_a_merchant_host(merchant: Merchant, other_merchant: Merchant) -> None:
    body = client_for(merchant).get("/healthz").json()
    assert body == {"status": "ok", "database": "ok", "schema": "alpha"}
