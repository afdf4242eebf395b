"""A real SMTP server (aiosmtpd, in a thread of the test process) that keeps what it
accepted, so tests and benchmarks can count arrivals per recipient and connections.

It can refuse recipients (`refuse`: an address -> reply such as "421 ..." or "550 ...",
or None to accept), hang up on one (`hang_up_on`), and hold each RCPT for a while
(`rcpt_hold` seconds), so a test can kill the sender while a message is in flight,
before the server accepted it. A message
counts as arrived only once the server answered its DATA with 250."""

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


@dataclass(frozen=True)
class Arrival:
    to: str
    message_id: str
    subject: str
    message: email.message.Message


class RecordingHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[Arrival] = []
        self.connections = 0
        self.port = 0
        self.refuse: Callable[[str], str | None] | None = None
        # For these recipients the server drops the connection instead of answering.
        self.hang_up_on: Callable[[str], bool] | None = None
        self.rcpt_hold = 0.0
        # Set while a RCPT is being held: a sender has a message in flight.
        self.holding = threading.Event()
        # Messages held at the same moment, now and at most: senders side by side.
        self.held_now = 0
        self.held_at_most = 0

    def connection_opened(self) -> None:
        with self.lock:
            self.connections += 1

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hang_up_on and self.hang_up_on(address):
            server.transport.close()
            return "421 4.4.2 Closing"  # never reaches the sender: the line is down
        refusal = self.refuse(address) if self.refuse else None
        if refusal:
            return refusal
        if self.rcpt_hold:
            with self.lock:
                self.held_now += 1
                self.held_at_most = max(self.held_at_most, self.held_now)
                self.holding.set()
            await asyncio.sleep(self.rcpt_hold)
            with self.lock:
                self.held_now -= 1
                if not self.held_now:
                    self.holding.clear()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            for to in envelope.rcpt_tos:
                self.arrivals.append(
                    Arrival(
                        to=to,
                        # A long Message-ID is folded onto its own line; the parsed
                        # value then keeps the folding space.
                        message_id=str(message["Message-ID"]).strip(),
                        subject=message["Subject"],
                        message=message,
                    )
                )
            number = len(self.arrivals)
        return f"250 2.0.0 Ok: queued as T{number}"

    def per_recipient(self) -> Counter:
        with self.lock:
            return Counter(a.to for a in self.arrivals)

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)


class _CountingSMTP(SMTP):
    def connection_made(self, transport) -> None:
        # Only new connections (not the TLS upgrade of one) count.
        if self.transport is None:
            self.event_handler.connection_opened()
        super().connection_made(transport)


class _CountingController(Controller):
    def factory(self) -> SMTP:
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(
    handler: RecordingHandler | None = None,
) -> Iterator[tuple[RecordingHandler, int]]:
    """Start the server on a free port; yields (handler, port). A benchmark may pass a
    handler of its own (one that counts without parsing each message)."""
    handler = handler or RecordingHandler()
    port = _free_port()
    controller = _CountingController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    # start() checks the server with a connection of its own: not one of the sender's.
    handler.connections = 0
    try:
        yield handler, port
    finally:
        controller.stop()
