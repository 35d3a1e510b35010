"""One hash chain per aggregate instead of one chain for the whole site.

Records written before this migration (one site-wide chain) are kept, in their order, as the chain
`legacy:site`, re-hashed in the per-chain form so `verify_audit` checks them like every other chain.
"""

import hashlib
import json

from django.db import migrations, models

GENESIS = "0" * 64
LEGACY = "legacy:site"


def _hash(chain, position, prev, rec):
    payload = json.dumps([chain, position, prev, rec.at.isoformat(), rec.actor, rec.action, rec.object_type, rec.object_id, rec.data],
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def rechain(apps, schema_editor):
    AuditRecord = apps.get_model("auction_site", "AuditRecord")
    table = AuditRecord._meta.db_table
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    prev = GENESIS
    for position, rec in enumerate(AuditRecord.objects.order_by("id").iterator(chunk_size=2000), start=1):
        digest = _hash(LEGACY, position, prev, rec)
        AuditRecord.objects.filter(pk=rec.pk).update(chain=LEGACY, position=position, prev_hash=prev, hash=digest)
        prev = digest
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


class Migration(migrations.Migration):
    dependencies = [("auction_site", "0002_audit_append_only")]

    operations = [
        migrations.AddField("auditrecord", "chain", models.CharField(max_length=100, default=LEGACY), preserve_default=False),
        migrations.AddField("auditrecord", "position", models.BigIntegerField(default=0), preserve_default=False),
        migrations.AlterField("auditrecord", "hash", models.CharField(max_length=64)),
        migrations.RunPython(rechain, migrations.RunPython.noop),
        migrations.AddConstraint("auditrecord", models.UniqueConstraint(fields=["chain", "position"], name="audit_one_record_per_position")),
        migrations.AddConstraint("auditrecord", models.CheckConstraint(condition=models.Q(position__gte=1), name="audit_position_positive")),
    ]
