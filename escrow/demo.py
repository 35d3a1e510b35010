"""Demo data of escrow, loaded by `manage.py load_demo` after lots (and before bidding).

For the demo rounds, a few demo bidders (usernames bidder_*) register and pay their deposits through
the embedded SandboxGateway, so they hold bidder codes and the bidding demo can place bids. Rounds
that already failed or were withdrawn have their deposits released as the clock would have done.
bidder_chen is left unregistered so a visitor can try registering and paying on the sandbox page.
"""

from datetime import timedelta

from accounts.models import User
from auction_site import clock
from escrow import commitments, groups, rules, services
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
    joint = _joint_bid(users)
    executed = bank_sandbox.execute_instructions(None)  # the sandbox bank carries out the release transfers
    if stdout:
        bank = Deposit.objects.filter(provider=bank_services.BANK).count()
        stdout.write(f"  escrow: {held} deposits paid through the sandbox ({bank} by bank transfer, camt.053), {released} released,"
                     f" {executed} bank transfers back confirmed" + (f"; a joint bid awaiting the court on round {joint}" if joint else "") + "\n")


def _joint_bid(users: dict) -> int | None:
    """A joint bid (联合竞买, 60/40) of bidder_wang and bidder_zhao on the first announced round paid by card, both
    agreed and the deposit held: it waits for the judge's confirmation on /court/groups/."""
    lead, co = users.get("bidder_wang"), users.get("bidder_zhao")
    now = clock.now()
    rnd = next((r for r in Round.objects.select_related("lot__case__court").filter(status="announced", kind="auction", starts_at__gt=now)
                .order_by("starts_at") if rules.payment_route(r.deposit) == "card"), None)
    if lead is None or co is None or rnd is None or rules.check_bidder_eligible(lead, rnd) or rules.check_bidder_eligible(co, rnd):
        return None
    decl = commitments.Declaration(accept_notice=True, signed_name=lead.real_name, ip="127.0.0.1", user_agent="demo",
                                   group=groups.GroupDeclaration(kind="joint", share="60", co_bidders=[
                                       groups.CoBidder(name=co.real_name, id_number=co.id_number, share="40")]))
    deposit = services.open_registration(lead, rnd=rnd, provider="sandbox", commitment=commitments.prepare(lead, rnd, decl))
    services.accept_joint_bid(co, registration_id=deposit.registration_id)
    hold_deposit(lead, rnd)
    return rnd.pk
