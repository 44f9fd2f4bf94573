"""Overload at the gateway (docs/architecture.md « Overload »): past its ceiling of requests in flight, nginx answers
the French 503 page (JSON under /api/) with Retry-After at once, and the refused request never reaches a service —
nothing of it is written anywhere."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gateway import render
from tests.integration.test_gateway_config import (
    SESSION_COOKIE,
    Gateway,
    StubHandler,
    StubServer,
    _free_port,
    _nginx_or_skip,
)

pytestmark = pytest.mark.integration

IN_FLIGHT = 2
COOKIE = {"Cookie": f"{SESSION_COOKIE}=overload"}


class HeldHandler(StubHandler):
    """A service busy with every request until the test lets it answer."""

    server: HeldServer

    def _handle(self) -> None:
        if self.server.name != "identity":
            self.server.arrived.release()
            self.server.release.wait(timeout=30)
        super()._handle()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class HeldServer(StubServer):
    def __init__(self, name: str) -> None:
        super(StubServer, self).__init__(("127.0.0.1", 0), HeldHandler)
        self.name = name
        self.received = []
        self.release = threading.Event()
        self.arrived = threading.Semaphore(0)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    _nginx_or_skip()
    identity, busy = HeldServer("identity"), HeldServer("members")
    for stub in (identity, busy):
        threading.Thread(target=stub.serve_forever, daemon=True).start()
    upstreams = dict.fromkeys(render.load_routes(), f"127.0.0.1:{busy.server_address[1]}")
    upstreams["identity"] = f"127.0.0.1:{identity.server_address[1]}"
    prefix = Path(tempfile.mkdtemp(prefix="portal-overload-"))
    port = _free_port()
    render.write_config(prefix, listen_port=port, upstreams=upstreams, daemon=True, max_in_flight=IN_FLIGHT)
    try:
        render.start(prefix)
        yield Gateway(port, prefix, identity, busy)
    finally:
        busy.release.set()
        try:
            render.stop(prefix)
        finally:
            for stub in (identity, busy):
                stub.shutdown()
                stub.server_close()
            shutil.rmtree(prefix, ignore_errors=True)


def test_past_the_requests_in_flight_the_gateway_answers_a_french_503_with_retry_after_at_once(gateway) -> None:
    busy: HeldServer = gateway.members  # type: ignore[assignment]
    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        held = [pool.submit(gateway.request, "GET", f"/salaries?n={n}", COOKIE) for n in range(IN_FLIGHT)]
        for _ in range(IN_FLIGHT):
            assert busy.arrived.acquire(timeout=10), "the held requests never reached the service"

        started = time.monotonic()
        page = gateway.request("GET", "/salaries?n=extra", COOKIE)
        api = gateway.request("POST", "/api/workforce/employees", {**COOKIE, "Content-Type": "application/json"}, "{}")
        answered_in = time.monotonic() - started

        assert page.status == 503 and page.headers["Retry-After"] == "30"
        assert page.headers["Content-Type"].startswith("text/html")
        assert "Service momentanément indisponible" in page.body.decode("utf-8")
        assert api.status == 503 and api.headers["Retry-After"] == "30"
        assert api.json() == {
            "code": 503,
            "status": "Service Unavailable",
            "message": "Service momentanément indisponible.",
        }
        assert answered_in < 10  # refused at the door, not after a service's timeout (30 s)
        assert not busy.arrived.acquire(timeout=0.5)  # the refused requests never reached the service

        busy.release.set()
        assert [future.result(timeout=10).status for future in held] == [200] * IN_FLIGHT
    assert gateway.request("GET", "/salaries?n=after", COOKIE).status == 200
