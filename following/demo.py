"""Demo data of following: a few demo bidders watch the lots of open and announced rounds (关注) and set
reminders on the announced ones (设置提醒), through following.services, so the numbers on the cards and lot
pages do not start at 0. Deterministic: which bidders follow a round depends only on its position."""

from accounts.models import User
from following import services
from lots.models import Round


def load(stdout=None) -> None:
    bidders = list(User.objects.filter(role="bidder", username__startswith="bidder_").order_by("username"))
    if not bidders:
        return
    watches = reminders = 0
    rounds = Round.objects.filter(status__in=[Round.Status.OPEN, Round.Status.ANNOUNCED]).order_by("pk")
    for i, rnd in enumerate(rounds):
        for k in range(1 + i % 3):  # one to three followers a round, a different bidder first each time
            user = bidders[(i + k) % len(bidders)]
            services.watch(user, lot_id=rnd.lot_id)
            watches += 1
            if rnd.status == Round.Status.ANNOUNCED:
                services.set_reminder(user, round_id=rnd.pk)
                reminders += 1
    if stdout:
        stdout.write(f"  following: {watches} watches, {reminders} reminders\n")
