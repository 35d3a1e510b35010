from django.core.management.base import BaseCommand

from accounts.models import User


class Command(BaseCommand):
    help = "Print the demo accounts (username, role, court or organisation)."

    def handle(self, *args, **opts):
        for user in User.objects.order_by("role", "username"):
            where = user.court.name if user.court_id else ""
            self.stdout.write(f"    {user.get_role_display():<8} {user.username:<20} {user.display_name()} {where}")
