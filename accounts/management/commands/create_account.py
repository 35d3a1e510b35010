"""manage.py create_account --role judge|valuer|operator|party --username .. --password .. --real-name ..
[--court-code 苏05] [--organisation CODE] [--id-number ..] [--phone ..]"""

from django.core.management.base import BaseCommand, CommandError

from accounts.services import create_account
from auction_site.errors import DomainError


class Command(BaseCommand):
    help = "Create a judge (of a court), valuer (of an organisation), operator or party account."

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, choices=["judge", "valuer", "operator", "party"])
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--real-name", required=True, dest="real_name")
        parser.add_argument("--court-code", dest="court_code", help="the judge's court code, e.g. 苏05")
        parser.add_argument("--organisation", help="the valuer's organisation code")
        parser.add_argument("--id-number", dest="id_number", default="", help="parties: links the account to their cases")
        parser.add_argument("--phone", default="")

    def handle(self, *args, **opts):
        try:
            user = create_account(role=opts["role"], username=opts["username"], password=opts["password"], real_name=opts["real_name"],
                                  court_code=opts["court_code"], organisation=opts["organisation"], id_number=opts["id_number"],
                                  phone=opts["phone"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}")
        except ImportError:
            raise CommandError("valuation.services.join_organisation is not available; cannot create a valuer")
        where = f" @ {user.court.code}" if user.court_id else (f" @ {opts['organisation']}" if opts["organisation"] else "")
        self.stdout.write(self.style.SUCCESS(f"created {user.role} {user.username}{where}"))
