"""bidding/transport.py, the one module on Daphne's, Twisted's and autobahn's internals, pinned to the
installed versions: each assumption it makes is checked here, and a new version of any of the three
fails the first test until the module has been read against it again."""

import ast
import functools
import socket
from collections import deque
from pathlib import Path
from types import SimpleNamespace

import pytest
from autobahn.twisted.websocket import WebSocketServerFactory
from channels.sessions import InstanceSessionWrapper
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol

from bidding import transport

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_daphne_twisted_and_autobahn_are_the_versions_the_transport_was_checked_with():
    # A failure here is not a bug: read bidding/transport.py against the new version (every private
    # name its docstring lists), run this file, then update CHECKED_WITH. Until then the consumer
    # writes through the ASGI send (the fast path is off), correct but slower.
    assert transport.installed_versions() == transport.CHECKED_WITH
    assert transport.FAST_PATH


def test_no_other_websocket_module_touches_the_servers_internals():
    internals = {"_writeDisconnected", "_tempDataLen", "writeSomeData", "dataBuffer", "prepareMessage", "payloadHybi",
                 "real_send", "failByDrop", "send_queue", "sendData"}
    found = []
    # the websocket's modules (auction_site/server.py, on the HTTP side, switches one Twisted flag off)
    for path in [*(ROOT / "bidding").rglob("*.py"), ROOT / "auction_site" / "ws_auth.py"]:
        if path.name == "transport.py" or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                found += [f"{path.name}: import {n}" for n in names if n.split(".")[0] in ("daphne", "twisted", "autobahn")]
            elif isinstance(node, ast.Attribute) and node.attr in internals:
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert found == []


def test_the_protocol_behind_daphnes_send_is_found_and_nothing_else_is_taken_for_it():
    protocol = WebSocketProtocol()
    server = Server(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"])  # not started
    daphne_send = functools.partial(server.handle_reply, protocol)
    assert transport.find_protocol(daphne_send) is protocol
    # channels' session middleware (in the websocket stack of auction_site/asgi.py) wraps Daphne's send
    session_send = InstanceSessionWrapper({"type": "websocket", "cookies": {}}, daphne_send).send
    assert transport.find_protocol(session_send) is protocol

    async def other_send(message):
        pass

    assert transport.find_protocol(other_send) is None
    assert transport.find_protocol(functools.partial(other_send, object())) is None
    assert transport.attach(other_send) is None  # outside Daphne: the ASGI send


@pytest.mark.parametrize("fast_path", [True, False])
def test_an_attached_socket_closes_with_1009_on_a_too_big_frame_whatever_the_fast_path(monkeypatch, fast_path):
    monkeypatch.setattr(transport, "FAST_PATH", fast_path)
    factory = WebSocketServerFactory()
    assert factory.failByDrop  # autobahn's default: a too-big frame drops the TCP connection, no close frame
    protocol = WebSocketProtocol()
    protocol.factory, protocol.failByDrop = factory, True
    wire = transport.attach(functools.partial(lambda p, m: None, protocol))
    assert (wire is not None) == fast_path
    assert protocol.failByDrop is False and factory.failByDrop is False  # a close frame (1009) instead
    assert "failByDrop" in WebSocketProtocol.CONFIG_ATTRS  # copied from the factory to each new socket


def test_frames_are_complete_unmasked_text_frames():
    factory = WebSocketServerFactory()
    wire = transport.Wire(SimpleNamespace(factory=factory))
    frame = wire.frame('{"type":"pong","x":"价"}')
    payload = '{"type":"pong","x":"价"}'.encode()
    assert frame == bytes([0x81, len(payload)]) + payload  # FIN + text, no mask bit (RFC 6455 5.2)
    frames = transport.Frames(["a", "bb", "ccc"])
    assert frames.wire(wire, range(3)) == b"\x81\x01a\x81\x02bb\x81\x03ccc"
    assert frames.wire(wire, [0, 2]) == b"\x81\x01a\x81\x03ccc"


def test_frames_go_out_at_once_on_an_idle_socket_and_what_the_kernel_does_not_take_queues_in_order():
    from twisted.internet import reactor
    from twisted.internet.tcp import Connection

    server_end, peer = socket.socketpair()
    peer.settimeout(2)
    server_end.setblocking(False)
    server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    tcp = Connection(server_end, None, reactor)
    tcp.connected = 1
    wire = transport.Wire(SimpleNamespace(send_queue=deque(), transport=tcp))
    try:
        wire.write(b"first")
        assert peer.recv(100) == b"first"  # sent at once: nothing waited for the reactor
        assert not tcp._tempDataLen

        big, after = bytes(range(256)) * 8192, b"after"  # 2 MB: more than the kernel takes at once
        wire.write(big)
        queued = tcp._tempDataLen
        assert 0 < queued < len(big)  # the kernel took a part; Twisted holds the rest
        wire.write(after)  # something is queued: this waits behind it
        assert tcp._tempDataLen == queued + len(after)

        received = b""
        peer.setblocking(False)
        for _ in range(100_000):
            if len(received) == len(big) + len(after):
                break
            tcp.doWrite()  # what the reactor does when the socket is writable
            try:
                received += peer.recv(1 << 20)
            except BlockingIOError:
                pass
        assert received == big + after  # every byte, in order
    finally:
        tcp.stopWriting()
        server_end.close()
        peer.close()


def test_what_autobahn_queues_itself_stays_ahead_of_a_direct_write():
    sent = []
    protocol = SimpleNamespace(send_queue=deque([b"queued"]), sendData=sent.append, transport=None)
    transport.Wire(protocol).write(b"next")
    assert sent == [b"next"]  # through autobahn's own queue, behind what it holds
