"""Demo data of escrow, loaded by `manage.py load_demo` after lots (and before bidding).

For the demo rounds, a few demo bidders (usernames bidder_*) register and pay their deposits through
the embedded SandboxGateway, so they hold bidder codes and the bidding demo can place bids. Rounds
that already failed or were withdrawn have their deposits released as the clock would have done.
bidder_chen is left unregistered so a visitor can try registering and paying on the sandbox page.
"""

from datetime import timedelta

from accounts.models import User
from auction_site import clock
from escrow import rules, services
from escrow.bank import sandbox as bank_sandbox
from escrow.bank import services as bank_services
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
    """Register and pay through the sandbox, whatever the configured provider (demo only). A deposit
    over the card provider's limit goes the bank path: the sandbox bank books the bidder's transfer
    and sends its camt.053, which is imported and matched like any statement."""
    amount = rules.amount_to_hold(rnd.kind, rnd.deposit, rnd.starting_price)
    if rules.payment_route(amount) == "bank":
        reg, pr = bank_services.open_bank_registration(user, rnd=rnd, amount=amount)
        if reg.status == Registration.Status.PENDING and pr.missing:
            bank_sandbox.transfer(user, reference=pr.reference, amount=pr.missing, payer_name=user.display_name(),
                                  payer_account=f"62220202{user.pk:011d}", at=min(clock.now(), rnd.ends_at - timedelta(minutes=1)))
            reg.refresh_from_db()
        return reg
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
                d = Deposit.objects.get(registration=reg)
                if d.provider == bank_services.BANK:
                    bank_services.instruct_release(None, registration_id=reg.pk, reason=f"demo: round {rnd.status}")
                else:
                    services.release_deposit(None, deposit=d, reason=f"demo: round {rnd.status}")
                released += 1
    executed = bank_sandbox.execute_instructions(None)  # the sandbox bank carries out the release transfers
    if stdout:
        bank = Deposit.objects.filter(provider=bank_services.BANK).count()
        stdout.write(f"  escrow: {held} deposits paid through the sandbox ({bank} by bank transfer, camt.053), {released} released,"
                     f" {executed} bank transfers back confirmed\n")
