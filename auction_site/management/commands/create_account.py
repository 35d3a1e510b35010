"""manage.py create_account --role judge|valuer|operator|party --username .. --password .. --real-name ..
[--court-code 苏05] [--organisation CODE] [--id-number ..] [--phone ..]"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Role
from accounts.services import create_account
from auction_site.errors import DomainError
from lots.services import link_party_account
from valuation.services import join_organisation


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
            with transaction.atomic():  # the account, its organisation and its cases, or nothing
                user = create_account(role=opts["role"], username=opts["username"], password=opts["password"],
                                      real_name=opts["real_name"], court_code=opts["court_code"], organisation=opts["organisation"],
                                      id_number=opts["id_number"], phone=opts["phone"])
                if user.role == Role.VALUER:
                    join_organisation(user, organisation_code=opts["organisation"])
                if user.role == Role.PARTY and user.id_number:
                    link_party_account(user)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}")
        where = f" @ {user.court.code}" if user.court_id else (f" @ {opts['organisation']}" if opts["organisation"] else "")
        self.stdout.write(self.style.SUCCESS(f"created {user.role} {user.username}{where}"))
