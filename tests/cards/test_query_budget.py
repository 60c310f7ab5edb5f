"""SQL statements per operation, with warm host and key caches (a server's steady state)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from merchants.models import Merchant
from programs.models import LoyaltyProgram
from staff.models import ApiKey
from staff.services import revoke_api_key
from tests.cards.helpers import new_card, stamp
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db


def _sql(queries: CaptureQueriesContext) -> list[str]:
    # The test's own transaction turns the service's BEGIN/COMMIT (which a server sends but Django
    # does not log) into SAVEPOINT/RELEASE (which it logs): leave those out.
    return [
        q["sql"].split()[0]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_a_stamp_costs_five_statements_and_six_with_an_idempotency_key(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.update(cooldown_minutes=0)
    card = new_card(loyalty, email="warm@example.com")
    stamp(loyalty, card)  # warms the host and key caches and the PIN's last_used_at

    with CaptureQueriesContext(connection) as plain:
        assert stamp(loyalty, card).status_code == 201
    with CaptureQueriesContext(connection) as keyed:
        assert stamp(loyalty, card, headers={"idempotency-key": "budget-1"}).status_code == 201

    # search_path, card (locked), PIN (locked), card update, ledger row; + the idempotency record.
    assert _sql(plain) == ["SET", "SELECT", "SELECT", "UPDATE", "INSERT"]
    assert _sql(keyed) == ["SET", "SELECT", "SELECT", "UPDATE", "INSERT", "INSERT"]


def test_host_and_key_caches_follow_changes_made_here(loyalty: Loyalty) -> None:
    api = loyalty.api()
    assert api.get("/api/v1/vendor/loyalty/cards").status_code == 200
    with schema_context(loyalty.merchant.schema_name):
        revoke_api_key(key=ApiKey.objects.get(name="Wizamart"))
    assert api.get("/api/v1/vendor/loyalty/cards").status_code == 401

    assert client_for(loyalty.merchant).get("/healthz").status_code == 200
    merchant = Merchant.objects.get(pk=loyalty.merchant.pk)
    merchant.is_active = False
    merchant.save()
    assert client_for(loyalty.merchant).get("/healthz").status_code == 404
