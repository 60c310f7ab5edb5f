"""Data migrations, run for real on a merchant's schema: back to the state before, rows written
the old way, forward again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context

from common.models import IdempotencyRecord
from tests.conftest import Loyalty

pytestmark = pytest.mark.django_db


def _migrate(*targets: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))


def test_stored_responses_survive_the_move_of_idempotency_records(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
        with connection.cursor() as cursor:
            # The fixture's rows left deferred foreign-key checks pending: ALTER TABLE refuses to
            # run in a transaction that has them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _migrate(("cards", "0007_wallet_state_moved"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM staff_apikey WHERE revoked_at IS NULL ORDER BY id")
            valid_keys = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "INSERT INTO cards_idempotencyrecord"
                " (key, fingerprint, status_code, response_body, created_at)"
                " VALUES ('order-1', 'f1', 201, '{\"ok\": true}', now()),"
                "        ('staff-7b1c', 'f2', 201, '{\"transaction_id\": 1}', now())"
            )

        _migrate(*leaf)

        copied = IdempotencyRecord.objects.order_by("caller")
        # The API's record answers a retry from any key that may have sent it; the terminal's
        # one-use form token is not kept.
        assert [(r.caller, r.key, r.status_code, r.response_body) for r in copied] == [
            (f"api-key:{key_id}", "order-1", 201, {"ok": True}) for key_id in valid_keys
        ]


def test_external_ids_become_unique_unless_two_customers_share_one(loyalty: Loyalty) -> None:
    """Blank external IDs stay allowed on any number of customers; a shared one stops the
    migration with its value named, instead of the index failing or an ID being dropped."""
    with schema_context(loyalty.merchant.schema_name):
        leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _migrate(("cards", "0008_idempotency_records_move_to_common"))
        insert = (
            "INSERT INTO cards_customer (name, email, phone, locale, marketing_consent,"
            " total_spent_cents, external_id, created_at, updated_at)"
            " VALUES ('A', %s, '', 'en', false, 0, %s, now(), now())"
        )
        with connection.cursor() as cursor:
            for email, external_id in [("a@x.example", ""), ("b@x.example", "")]:
                cursor.execute(insert, [email, external_id])
            cursor.execute(insert, ["c@x.example", "W-1"])
            cursor.execute(insert, ["d@x.example", "W-1"])

        with pytest.raises(RuntimeError, match="'W-1'"):
            _migrate(*leaf)

        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cards_customer SET external_id = 'W-2' WHERE email = 'd@x.example'"
            )
        _migrate(*leaf)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'customer_external_id_unique'"
                " AND schemaname = current_schema()"
            )
            assert cursor.fetchone()[0] == 1
