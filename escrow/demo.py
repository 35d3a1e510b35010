"""Demo data of escrow, loaded by `manage.py load_demo` after lots (and before bidding).

For the demo rounds, a few demo bidders (usernames bidder_*) register and pay their deposits through
the embedded SandboxGateway, so they hold bidder codes and the bidding demo can place bids. Rounds
that already failed or were withdrawn have their deposits released as the clock would have done.
bidder_chen is left unregistered so a visitor can try registering and paying on the sandbox page.
"""

from accounts.models import User
from escrow import rules, services
from escrow.models import Deposit, Registration
from lots.models import Round

# Which demo bidders register for rounds in each state (the rest of the round's story is bidding's).
BIDDERS_BY_STATUS = {
    "open": ["bidder_zhang", "bidder_li", "bidder_wang"],
    "announced": ["bidder_zhang", "bidder_corp"],
    "closed": ["bidder_zhang", "bidder_li"],
    "sold": ["bidder_zhang", "bidder_li", "bidder_wang"],
    "failed": ["bidder_li"],
    "suspended": ["bidder_wang"],
    "withdrawn": ["bidder_zhao"],
}
RELEASE_NOW = {"failed", "withdrawn"}


def hold_deposit(user, rnd: Round) -> Registration:
    """Register and pay through the sandbox, whatever the configured provider (demo only)."""
    deposit = services.open_registration(user, rnd=rnd, provider="sandbox")
    reg = deposit.registration
    if reg.status == Registration.Status.PENDING:
        from escrow.gateway import get_gateway

        get_gateway("sandbox").pay(deposit.payment_intent_id)
        services.sync_deposit(None, deposit=Deposit.objects.get(pk=deposit.pk))
        reg.refresh_from_db()
    return reg


def load(stdout=None) -> None:
    users = {u.username: u for u in User.objects.filter(username__startswith="bidder_")}
    held = released = 0
    for rnd in Round.objects.select_related("lot__case").exclude(status="draft").order_by("pk"):
        for username in BIDDERS_BY_STATUS.get(rnd.status, []):
            user = users.get(username)
            if user is None:
                continue
            if rules.check_bidder_eligible(user, rnd):
                continue
            reg = hold_deposit(user, rnd)
            held += 1
            if rnd.status in RELEASE_NOW and reg.status == Registration.Status.HELD:
                services.release_deposit(None, deposit=Deposit.objects.get(registration=reg), reason=f"demo: round {rnd.status}")
                released += 1
    if stdout:
        stdout.write(f"  escrow: {held} deposits paid through the sandbox, {released} released\n")
