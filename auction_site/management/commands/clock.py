from django.core.management.base import BaseCommand, CommandError

from auction_site import clock


class Command(BaseCommand):
    help = "Show or advance the one clock (test/demo mode only): `clock show`, `clock advance 3d`."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["show", "advance"])
        parser.add_argument("duration", nargs="?", default="0", help="e.g. 3d, 12h, 30m, 45s")

    def handle(self, *args, action: str, duration: str, **opts):
        if action == "advance":
            try:
                seconds = clock.parse_duration(duration)
                clock.advance(seconds)
            except clock.ClockAdvanceNotAllowed as exc:
                raise CommandError(str(exc)) from exc
            except ValueError as exc:
                raise CommandError(f"bad duration {duration!r}: {exc}") from exc
        self.stdout.write(clock.now().isoformat())
