from django.db import migrations

from auction_site.db import append_only, postgres_sql

# Every ledger transaction balances: checked at commit by a deferred constraint trigger.
BALANCED = """
CREATE OR REPLACE FUNCTION escrow_ledger_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total bigint;
BEGIN
  SELECT COALESCE(SUM(amount), 0) INTO total FROM escrow_ledgerentry WHERE transaction_id = NEW.transaction_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % does not balance (sum %)', NEW.transaction_id, total;
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS escrow_ledger_balanced_trg ON escrow_ledgerentry;
CREATE CONSTRAINT TRIGGER escrow_ledger_balanced_trg AFTER INSERT ON escrow_ledgerentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION escrow_ledger_balanced();
"""
UNBALANCED_DROP = "DROP TRIGGER IF EXISTS escrow_ledger_balanced_trg ON escrow_ledgerentry; DROP FUNCTION IF EXISTS escrow_ledger_balanced();"


class Migration(migrations.Migration):
    dependencies = [("escrow", "0001_initial")]
    operations = [
        append_only("escrow_ledgerentry"),
        append_only("escrow_ledgertransaction"),
        postgres_sql(BALANCED, UNBALANCED_DROP),
    ]
