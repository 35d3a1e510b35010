"""The per-process relay (bidding/relay.py) puts events from several processes back in sequence order for every socket."""

import asyncio
import json
from collections import deque

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from channels.layers import InMemoryChannelLayer

from bidding import consumers, events, transport
from bidding import relay as relay_module


class FakeSocket:
    """A socket outside Daphne: relayed events arrive through one ASGI send each."""

    wire = None
    send_frames = consumers.RoundConsumer.send_frames

    def __init__(self, last_seq):
        self.last_seq = last_seq
        self.sent = []

    async def send(self, text_data):
        self.sent.append(json.loads(text_data)["seq"])


class FramedProtocol(WebSocketServerProtocol):
    """Daphne's autobahn protocol without a network: what is written to its transport, as bytes."""

    def __init__(self):
        super().__init__()
        self.factory = WebSocketServerFactory()
        self.state = self.STATE_OPEN
        self.send_queue = deque()
        self.transport = self
        self.wire = b""
        self.writes = 0

    def write(self, data):  # the transport's write
        self.wire += data
        self.writes += 1


class DaphneSocket(FakeSocket):
    def __init__(self, last_seq):
        super().__init__(last_seq)
        self.ws_protocol = FramedProtocol()
        self.wire = transport.Wire(self.ws_protocol)

    def received(self):
        """Decode the unmasked server text frames (RFC 6455 5.2) the relay wrote."""
        data, out = self.ws_protocol.wire, []
        while data:
            assert data[0] == 0x81  # FIN + text frame
            length, start = data[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(data[2:4], "big"), 4
            out.append(json.loads(data[start:start + length]))
            data = data[start + length:]
        return out


def test_relay_reorders_drops_what_the_snapshot_had_and_passes_on_gaps(monkeypatch):
    monkeypatch.setattr(relay_module, "REORDER_WAIT", 0.05)

    async def main():
        layer = InMemoryChannelLayer()
        a, b = FakeSocket(3), FakeSocket(5)  # b connected later: its snapshot already holds 4 and 5
        relay = await relay_module.RoundRelay.join(layer, 77, a, 3)
        await relay_module.RoundRelay.join(layer, 77, b, 5)

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
    assert 77 not in relay_module.RoundRelay.relays


def test_under_daphne_a_committed_batch_is_framed_once_and_written_to_each_socket_in_one_go():
    async def main():
        layer = InMemoryChannelLayer()
        a, b, c = DaphneSocket(10), DaphneSocket(12), FakeSocket(10)  # b's snapshot already holds 11 and 12
        relay = await relay_module.RoundRelay.join(layer, 78, a, 10)
        await relay_module.RoundRelay.join(layer, 78, b, 12)
        await relay_module.RoundRelay.join(layer, 78, c, 10)
        batch = [{"type": "bid", "seq": seq, "code": "A1234", "amount": 100 * seq, "note": "价"} for seq in (11, 12, 13, 14)]
        await layer.group_send(events.group_name(78), {"type": "round.event", "events": batch})
        await asyncio.sleep(0.05)
        b.ws_protocol.state = WebSocketServerProtocol.STATE_CLOSED  # b's peer went away
        await layer.group_send(events.group_name(78), {"type": "round.event", "event": {"type": "status", "seq": 15, "status": "closed"}})
        await asyncio.sleep(0.05)
        still_relayed_to = set(relay.sockets)
        for socket in (a, b, c):
            await relay.leave(socket)
        return a, b, c, still_relayed_to

    a, b, c, still_relayed_to = asyncio.run(main())
    assert [m["seq"] for m in a.received()] == [11, 12, 13, 14, 15]
    assert a.received()[0] == {"type": "bid", "seq": 11, "code": "A1234", "amount": 1100, "note": "价"}
    assert a.ws_protocol.writes == 2  # one write per committed batch, not one per event
    assert [m["seq"] for m in b.received()] == [13, 14]  # only what its snapshot did not have, then closed
    assert b not in still_relayed_to and a in still_relayed_to
    assert c.sent == [11, 12, 13, 14, 15]  # the same events through ASGI sends outside Daphne
