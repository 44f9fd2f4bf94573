"""A real SMTP server (aiosmtpd) the tests send to and read from."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SmtpServer:
    def __init__(self) -> None:
        self.port = _free_port()
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._collector.lock:
            return list(self._collector.messages)

    def to(self, recipient: str) -> list[EmailMessage]:
        return [m for m in self.messages if recipient.lower() in str(m["To"]).lower()]

    def clear(self) -> None:
        with self._collector.lock:
            self._collector.messages.clear()

    def wait_for(self, predicate: Callable[[EmailMessage], bool], timeout: float = 10.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if predicate(message):
                    return message
            time.sleep(0.05)
        raise AssertionError("no matching e-mail arrived")
