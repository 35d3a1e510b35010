from django.core.management.base import BaseCommand, CommandError

from auction_site.audit import verify_chains
from auction_site.models import AuditRecord
from transparency.verify import verify_anchors


class Command(BaseCommand):
    help = ("Recompute every aggregate's audit hash chain, then check the database against the signed anchors "
            "in object storage; exit non-zero at the first difference.")

    def handle(self, *args, **opts):
        bad = verify_chains()
        if bad is not None:
            raise CommandError(f"audit chain broken at record #{bad.pk}, position {bad.position} of chain {bad.chain}"
                               f" ({bad.action} {bad.object_type}:{bad.object_id})")
        problem, checked = verify_anchors()
        if problem is not None:
            raise CommandError(problem)
        chains = AuditRecord.objects.values("chain").distinct().count()
        self.stdout.write(f"audit chains intact: {AuditRecord.objects.count()} records in {chains} chains; "
                          f"{checked} anchored heads match")
