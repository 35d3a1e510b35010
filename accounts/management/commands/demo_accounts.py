from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand

from accounts.demo import PASSWORD
from accounts.models import User


class Command(BaseCommand):
    help = "Print the demo accounts (role, username, name, court): only those with the demo password."

    def handle(self, *args, **opts):
        # The demo hashes its password once per module, so a few distinct hashes cover every demo
        # account; accounts people created on the site (their own passwords) are not listed.
        demo_hash: dict[str, bool] = {}
        for user in User.objects.select_related("court").order_by("role", "username"):
            if user.password not in demo_hash:
                demo_hash[user.password] = check_password(PASSWORD, user.password)
            if demo_hash[user.password]:
                where = user.court.name if user.court_id else ""
                if user.role == "party":  # the cases the judge linked the party to (执行公开, negotiation)
                    where = "、".join(f"{p.case.case_number} {p.get_side_display()}" for p in user.case_parties.select_related("case"))
                self.stdout.write(f"    {user.get_role_display():<8} {user.username:<20} {user.display_name()} {where}")
