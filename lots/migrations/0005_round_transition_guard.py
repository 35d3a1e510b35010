"""The round's state machine enforced by PostgreSQL as well: an UPDATE that moves a round's status along
a path lots.rules.ROUND_TRANSITIONS does not list is refused (tests/lots/test_round_transitions.py checks
that this list and the rules' table are the same)."""

from django.db import migrations

from auction_site.db import postgres_sql

# A copy of lots.rules.ROUND_TRANSITIONS as it stood when this migration was written (a migration never
# imports code that may change). A change of the table comes with a migration replacing this function.
ALLOWED = [
    ("draft", "announced"), ("draft", "withdrawn"),
    ("announced", "open"), ("announced", "suspended"), ("announced", "withdrawn"),
    ("open", "sold"), ("open", "failed"), ("open", "closed"), ("closed", "sold"), ("closed", "failed"),
    ("open", "suspended"), ("open", "withdrawn"),
    ("suspended", "announced"), ("suspended", "open"), ("suspended", "withdrawn"),
    ("sold", "paid"), ("sold", "defaulted"), ("paid", "settled"),
]
PAIRS = ", ".join(f"('{a}', '{b}')" for a, b in ALLOWED)

FORWARD = f"""
CREATE OR REPLACE FUNCTION lots_round_transition_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD.status, NEW.status) NOT IN ({PAIRS}) THEN
    RAISE EXCEPTION 'a round cannot move from % to % (lots.rules.ROUND_TRANSITIONS)', OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS lots_round_transition_guard_trg ON lots_round;
CREATE TRIGGER lots_round_transition_guard_trg BEFORE UPDATE OF status ON lots_round
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION lots_round_transition_guard();
"""
BACKWARD = "DROP TRIGGER IF EXISTS lots_round_transition_guard_trg ON lots_round; DROP FUNCTION IF EXISTS lots_round_transition_guard();"


class Migration(migrations.Migration):
    dependencies = [("lots", "0004_round_owner")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
