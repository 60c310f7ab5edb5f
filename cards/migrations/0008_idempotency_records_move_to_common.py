"""Idempotency records move to common (one helper for every write endpoint, keys scoped by caller).

Keys used to be unique per merchant; now they are unique per caller. The API's records are copied
once for each API key still valid, since the key that sent them was not recorded: a client
retrying across the deploy still gets its first response. The terminal's one-use form tokens are
not copied (a resent form seconds before a deploy is the only loss). The ledger's own unique index
on the key goes: two callers may use the same key, and the records guard replays.
"""

from django.db import migrations

COPY = """
INSERT INTO common_idempotencyrecord
    (caller, key, fingerprint, status_code, response_body, created_at)
SELECT 'api-key:' || api_key.id, record.key, record.fingerprint, record.status_code,
       record.response_body, record.created_at
FROM cards_idempotencyrecord AS record
CROSS JOIN staff_apikey AS api_key
WHERE api_key.revoked_at IS NULL AND left(record.key, 6) <> 'staff-'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0007_wallet_state_moved"),
        ("common", "0001_initial"),
        ("staff", "0002_engine"),
    ]

    operations = [
        migrations.RunSQL(COPY, migrations.RunSQL.noop),
        migrations.RemoveField(model_name="idempotencyrecord", name="card"),
        migrations.RemoveConstraint(
            model_name="loyaltytransaction", name="txn_idempotency_key_unique"
        ),
        migrations.DeleteModel(name="IdempotencyRecord"),
    ]
