"""The per-process relay puts events from several processes back in sequence order for every socket."""

import asyncio

from channels.layers import InMemoryChannelLayer

from bidding import consumers, events


class FakeSocket:
    def __init__(self, last_seq):
        self.last_seq = last_seq
        self.sent = []

    async def send(self, text_data):
        import json

        self.sent.append(json.loads(text_data)["seq"])


def test_relay_reorders_drops_what_the_snapshot_had_and_passes_on_gaps(monkeypatch):
    monkeypatch.setattr(consumers, "REORDER_WAIT", 0.05)

    async def main():
        layer = InMemoryChannelLayer()
        a, b = FakeSocket(3), FakeSocket(5)  # b connected later: its snapshot already holds 4 and 5
        relay = await consumers.RoundRelay.join(layer, 77, a, 3)
        await consumers.RoundRelay.join(layer, 77, b, 5)

        async def publish(seq):
            await layer.group_send(events.group_name(77), {"type": "round.event", "event": {"type": "bid", "seq": seq}})

        for seq in (5, 4, 6, 9, 7):  # 5 arrives before 4; 8 never arrives
            await publish(seq)
        await asyncio.sleep(0.3)
        await relay.leave(a)
        await relay.leave(b)
        return a.sent, b.sent

    a_sent, b_sent = asyncio.run(main())
    assert a_sent == [4, 5, 6, 7, 9]  # in order; the gap at 8 is passed on after the wait
    assert b_sent == [6, 7, 9]
    assert 77 not in consumers.RoundRelay.relays
