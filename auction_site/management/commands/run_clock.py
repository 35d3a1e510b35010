import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from auction_site import ticks

logger = logging.getLogger("auction_site.run_clock")


class Command(BaseCommand):
    help = "The clock process: opens and closes rounds, releases deposits, expires inquiries, retries outboxes."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one tick and exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks")

    def handle(self, *args, once: bool, interval: float, **opts):
        while True:
            close_old_connections()
            try:
                report = ticks.run_all()
                busy = {k: v for k, v in report.items() if v}
                if busy:
                    logger.info("tick %s", busy)
                if once:
                    self.stdout.write(str(report))
            except Exception:
                logger.exception("tick failed; will retry")
                if once:
                    raise
            if once:
                return
            time.sleep(interval)
