"""The websocket's fast path: the ONE module that uses Daphne's, Twisted's and autobahn's internals.

Why it exists (docs/bidding.md, The websocket in three pieces): a busy round relays every event to
thousands of sockets, and Daphne's own `websocket.send` path costs four layers of Python per frame
(channels' session wrapper, Daphne's `handle_reply`, autobahn's `sendMessage` with a debug log line
built per write) plus two `epoll_ctl` calls per write in Twisted. Here a socket's frames are built
once (autobahn's prepared messages) and written with one call straight to the socket.

What it relies on, all of it private to those projects and checked against the versions in
CHECKED_WITH (tests/bidding/test_transport.py fails as soon as another version is installed, and
checks each assumption below on a real socket):

- Daphne hands each application `send = functools.partial(server.handle_reply, protocol)`, where
  `protocol` is its autobahn `WebSocketServerProtocol`; channels' session middleware wraps it in a
  bound method whose object keeps it as `real_send` (`find_protocol`);
- autobahn: `protocol.state` / `STATE_OPEN`, `protocol.send_queue` (its own queue for chopped or
  synchronous sends), `protocol.sendData`, `protocol.factory.prepareMessage(...).payloadHybi` (a
  complete unmasked frame), `protocol.failByDrop` (per socket, copied from the factory);
- Twisted's `tcp.Connection`: `connected`, `disconnecting`, `_writeDisconnected`, `dataBuffer`,
  `_tempDataLen` (nothing queued) and `writeSomeData` (one `send`).

If the installed versions are not the checked ones, `attach` still finds the protocol (for the 1009
close below) but the consumer writes through the ASGI `send` (correct, slower) and a warning is
logged once, so an upgrade never breaks a socket: it only costs speed until this module is checked
again and CHECKED_WITH updated.
"""

from __future__ import annotations

import functools
import logging
from importlib import metadata
from typing import Any

from autobahn.websocket.protocol import WebSocketServerProtocol
from twisted.internet.tcp import Connection as TCPConnection

logger = logging.getLogger("bidding.transport")

# The versions whose internals this module was read against (pip names, as `importlib.metadata` spells them).
CHECKED_WITH = {"daphne": "4.2.3", "Twisted": "26.10.0", "autobahn": "26.11.1"}


def installed_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in CHECKED_WITH:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


FAST_PATH = installed_versions() == CHECKED_WITH
if not FAST_PATH:
    logger.warning("websocket fast path off: installed %s, checked with %s (bidding/transport.py)", installed_versions(), CHECKED_WITH)


def find_protocol(send: Any) -> WebSocketServerProtocol | None:
    """The autobahn protocol behind a socket served by Daphne (behind channels' session wrapper), or None."""
    for _ in range(4):
        if isinstance(send, functools.partial) and send.args and isinstance(send.args[0], WebSocketServerProtocol):
            return send.args[0]
        send = getattr(getattr(send, "__self__", None), "real_send", None)
        if send is None:
            break
    return None


class Wire:
    """One accepted socket's direct writer."""

    __slots__ = ("protocol",)

    def __init__(self, protocol: WebSocketServerProtocol):
        self.protocol = protocol

    @property
    def open(self) -> bool:
        return self.protocol.state == self.protocol.STATE_OPEN

    def frame(self, text: str) -> bytes:
        """One text message as a complete websocket frame (autobahn's prepared message: unmasked, as a
        server sends; uncompressed frames stay valid where compression was negotiated, RFC 7692)."""
        return self.protocol.factory.prepareMessage(text.encode("utf8")).payloadHybi

    def write(self, frames: bytes) -> None:
        """Complete frames to the peer, in order: what autobahn's sendData does when nothing is queued,
        without its debug log line per write.

        Twisted's `transport.write` never sends at once: it buffers, registers the socket for writing
        (an epoll_ctl), sends on the reactor's next turn and unregisters it (another epoll_ctl). When
        nothing is buffered on a plain TCP socket, the frames are sent here at once with the
        transport's own `writeSomeData` (asyncio's transports do the same); whatever the kernel does not
        take, or an error, goes through `transport.write`, so the bytes keep their order and Twisted
        still reports a lost connection."""
        protocol = self.protocol
        if protocol.send_queue:
            protocol.sendData(frames)
            return
        transport = protocol.transport
        if (isinstance(transport, TCPConnection) and transport.connected and not transport.disconnecting
                and not transport._writeDisconnected and not getattr(transport, "TLS", False)
                and not transport.dataBuffer and not transport._tempDataLen):
            sent = transport.writeSomeData(frames)
            if isinstance(sent, int) and sent > 0:
                if sent == len(frames):
                    return
                frames = frames[sent:]
        transport.write(frames)


def attach(send: Any) -> Wire | None:
    """Called once a socket is accepted. Under Daphne: a too-big frame (over Daphne's
    `--websocket-max-message-size`, 1 MB by default) now gets a close frame with 1009 (RFC 6455 7.4.1)
    instead of a dropped TCP connection (autobahn's `failByDrop`, on by default), and, with the checked
    versions installed, the socket's Wire. Elsewhere (in-process tests), None: use the ASGI send."""
    protocol = find_protocol(send)
    if protocol is None:
        return None
    protocol.failByDrop = False  # this socket (copied from the factory when it connected)
    if protocol.factory is not None and protocol.factory.failByDrop:
        protocol.factory.setProtocolOptions(failByDrop=False)  # and the process's next sockets (public option)
    return Wire(protocol) if FAST_PATH else None


class Frames:
    """The serialised events of one relay step, framed at most once for all sockets of the process."""

    __slots__ = ("texts", "framed", "joined")

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.framed: list[bytes] | None = None
        self.joined: bytes | None = None

    def wire(self, wire: Wire, wanted: range | list[int]) -> bytes:
        """The frames of the wanted events, joined for one write."""
        if self.framed is None:
            self.framed = [wire.frame(text) for text in self.texts]
        if len(wanted) == len(self.texts):
            if self.joined is None:
                self.joined = b"".join(self.framed)
            return self.joined
        return b"".join(self.framed[i] for i in wanted)
