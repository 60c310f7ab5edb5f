"""The ledger stays append-only, with one exception for erasure (cards.services.privacy): an UPDATE
that only forgets the client's address and user agent (``ip_address`` set to NULL, ``user_agent``
to '') is let through. Any other change, DELETE and TRUNCATE are still refused, whoever asks."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION loyalty_ledger_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.ip_address IS NULL
        AND NEW.user_agent = ''
        AND (to_jsonb(NEW) - 'ip_address' - 'user_agent')
            = (to_jsonb(OLD) - 'ip_address' - 'user_agent')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the loyalty ledger is append-only (% refused); record an adjustment instead',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION loyalty_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the loyalty ledger is append-only (% refused); record an adjustment instead',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("cards", "0011_data_requests")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
