"""Real outside providers for the valuation tests, each a server in a thread on a free port: an HTTP inquiry platform
and a mail server (SMTP), either of which can be told to answer slowly or to refuse."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import free_port


class HTTPPlatform:
    """An inquiry platform: `answer(n)` -> (HTTP status, seconds to wait first) for its n-th POST (from 1)."""

    def __init__(self, answer: Callable[[int], tuple[int, float]] = lambda n: (202, 0.0)):
        self.answer = answer
        self.received: list[tuple[dict, bytes]] = []
        self.arrived = threading.Event()  # a POST has come in (set before the wait)
        self.answered = threading.Event()  # ... and has been answered
        self.arrived_at: float | None = None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/inquiries"
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                platform.received.append((dict(self.headers), body))
                status, wait = platform.answer(len(platform.received))
                platform.arrived_at = time.monotonic()
                platform.arrived.set()
                time.sleep(wait)
                self.send_response(status)
                self.end_headers()
                platform.answered.set()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True

    def __enter__(self) -> HTTPPlatform:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


class MailServer:
    """A mail server speaking enough SMTP for smtplib: `answer(n)` -> (reply line, seconds to wait first) for the n-th
    message's DATA; the raw messages it accepted are in `accepted`."""

    def __init__(self, answer: Callable[[int], tuple[bytes, float]] = lambda n: (b"250 queued", 0.0)):
        self.answer = answer
        self.count = 0
        self.accepted: list[bytes] = []
        self.data_arrived = threading.Event()
        self.answered = threading.Event()
        self.port = free_port()
        mail = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: bytes) -> None:
                self.wfile.write(line + b"\r\n")
                self.wfile.flush()

            def handle(self):
                self.reply(b"220 test.invalid ESMTP")
                while line := self.rfile.readline():
                    command = line.strip().upper()
                    if command.startswith((b"EHLO", b"HELO")):
                        self.reply(b"250 test.invalid")
                    elif command.startswith((b"MAIL", b"RCPT", b"RSET", b"NOOP")):
                        self.reply(b"250 OK")
                    elif command == b"DATA":
                        self.reply(b"354 end with a dot")
                        lines = []
                        while (part := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(part)
                        mail.count += 1
                        reply, wait = mail.answer(mail.count)
                        mail.data_arrived.set()
                        time.sleep(wait)
                        if reply.startswith(b"250"):
                            mail.accepted.append(b"".join(lines))
                        self.reply(reply)
                        mail.answered.set()
                    elif command == b"QUIT":
                        self.reply(b"221 bye")
                        return
                    else:
                        self.reply(b"502 not implemented")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True

    def __enter__(self) -> MailServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
