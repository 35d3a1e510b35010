"""Fixtures of the bidding tests: an open round and bidders whose deposits are held.

Held registrations are created directly (test set-up standing in for escrow's deposit flow).
"""

from datetime import timedelta

import pytest

from auction_site import clock

START, INCREMENT, DEPOSIT = 330_925_000, 500_000, 50_000_000  # the real listing in DOMAIN.md


def make_lot(case, title="苏州市姑苏区某小区住宅", category="real_estate"):
    from lots.models import Lot

    return Lot.objects.create(case=case, title=title, category=category, description="住宅一套", reference_price=472_750_000,
                              created_at=clock.now())


def make_round(lot, *, status="open", number=1, starts_in=timedelta(hours=-1), lasts=timedelta(hours=24),
               starting_price=START, increment=INCREMENT, deposit=DEPOSIT, proxy=False, previous=None, kind="auction"):
    from lots.models import Round

    now = clock.now()
    starts_at = now + starts_in
    return Round.objects.create(
        lot=lot, number=number, kind=kind, status=status, starting_price=starting_price, deposit=deposit, increment=increment,
        starts_at=starts_at, ends_at=starts_at + lasts, scheduled_ends_at=starts_at + lasts, proxy_bidding_enabled=proxy,
        previous=previous, created_at=now, published_at=now - timedelta(days=31),
    )


def hold(rnd, user, code, rank=None, held_amount=None):
    """A held registration. For a sell-off also its held money: the full price (escrow.rules.amount_to_hold)
    unless `held_amount` says otherwise (e.g. a deposit alone)."""
    from escrow.models import Deposit, Registration
    from escrow.rules import amount_to_hold

    now = clock.now()
    reg = Registration.objects.create(round=rnd, bidder=user, status="held", code=code, priority_rank=rank, created_at=now, held_at=now)
    if rnd.kind == "selloff" or held_amount is not None:
        amount = held_amount if held_amount is not None else amount_to_hold(rnd.kind, rnd.deposit, rnd.starting_price)
        Deposit.objects.create(registration=reg, amount=amount, provider="sandbox", created_at=now, held_at=now)
    return reg


@pytest.fixture
def lot(enforcement_case):
    return make_lot(enforcement_case)


@pytest.fixture
def open_round(lot):
    return make_round(lot)


@pytest.fixture
def bidders(bidder_factory, open_round):
    """Three bidders with held deposits on the open round: codes A0001, A0002, A0003."""
    users = [bidder_factory() for _ in range(3)]
    regs = [hold(open_round, u, f"A000{i + 1}") for i, u in enumerate(users)]
    return list(zip(users, regs))


@pytest.fixture
def no_throttle(settings):
    settings.BIDDING_MAX_BIDS_PER_SECOND = 0


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Creating many bidder accounts with PBKDF2 takes seconds; these tests never check passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shared_layer(settings, channel_prefix):
    """Make this test process publish on the same Redis channel prefix as the live Daphne servers."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": channel_prefix}}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def token_for(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


class WsClient:
    """A websocket client of the contract that remembers every message it received."""

    def __init__(self, ws):
        self.ws = ws
        self.messages: list[dict] = []
        self.snapshot: dict | None = None

    @classmethod
    async def connect(cls, server, round_id: int, token: str | None = None):
        import websockets

        url = f"{server.ws_url}/ws/rounds/{round_id}/" + (f"?token={token}" if token else "")
        ws = await websockets.connect(url, max_size=None, open_timeout=20)
        client = cls(ws)
        client.snapshot = await client.recv()
        assert client.snapshot["type"] == "snapshot"
        return client

    async def recv(self, timeout: float = 10.0) -> dict:
        import asyncio
        import json

        msg = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.messages.append(msg)
        return msg

    async def send(self, payload) -> None:
        import json

        await self.ws.send(payload if isinstance(payload, str | bytes) else json.dumps(payload))

    async def wait_for(self, predicate, timeout: float = 10.0) -> dict:
        import time

        deadline = time.monotonic() + timeout
        for m in self.messages:
            if predicate(m):
                return m
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("message not received")
            m = await self.recv(left)
            if predicate(m):
                return m

    async def close(self) -> None:
        await self.ws.close()
