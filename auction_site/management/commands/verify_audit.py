from django.core.management.base import BaseCommand, CommandError

from auction_site.audit import verify_chain
from auction_site.models import AuditRecord


class Command(BaseCommand):
    help = "Recompute the audit hash chain; exit non-zero at the first tampered record."

    def handle(self, *args, **opts):
        bad = verify_chain()
        if bad is not None:
            raise CommandError(f"audit chain broken at record #{bad.pk} ({bad.action} {bad.object_type}:{bad.object_id})")
        self.stdout.write(f"audit chain intact: {AuditRecord.objects.count()} records")
