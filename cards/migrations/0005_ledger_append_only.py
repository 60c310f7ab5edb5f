"""The ledger refuses UPDATE, DELETE and TRUNCATE at the database level, whoever asks."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION loyalty_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the loyalty ledger is append-only (% refused); record an adjustment instead',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER loyalty_ledger_no_update_delete
    BEFORE UPDATE OR DELETE ON cards_loyaltytransaction
    FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_append_only();

CREATE TRIGGER loyalty_ledger_no_truncate
    BEFORE TRUNCATE ON cards_loyaltytransaction
    FOR EACH STATEMENT EXECUTE FUNCTION loyalty_ledger_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS loyalty_ledger_no_truncate ON cards_loyaltytransaction;
DROP TRIGGER IF EXISTS loyalty_ledger_no_update_delete ON cards_loyaltytransaction;
DROP FUNCTION IF EXISTS loyalty_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("cards", "0004_engine")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
