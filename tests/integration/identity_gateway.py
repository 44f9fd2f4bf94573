"""The real nginx gateway in front of the real identity app, every other service an echo upstream."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from werkzeug.serving import make_server

from gateway import render
from identity.accounts import use_cases as accounts
from identity.app import create_app
from identity.models import MemberDirectoryEntry
from tests.integration.test_gateway_config import StubServer, _free_port, _nginx_or_skip

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def identity_behind_gateway(portal_env, name: str) -> Iterator[tuple[int, object, StubServer]]:
    """(gateway port, identity under test, echo upstream); everything is stopped and emptied afterwards."""
    _nginx_or_skip()
    identity = portal_env.service("identity", create_app, ROOT / "services" / "identity")
    server = make_server("127.0.0.1", 0, identity.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstream = StubServer("members")
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    upstreams = dict.fromkeys(render.load_routes(), f"127.0.0.1:{upstream.server_address[1]}")
    upstreams["identity"] = f"127.0.0.1:{server.server_port}"
    prefix = Path(tempfile.mkdtemp(prefix=f"portal-{name}-"))
    port = _free_port()
    render.write_config(prefix, listen_port=port, upstreams=upstreams, daemon=True)
    try:
        render.start(prefix)
        yield port, identity, upstream
    finally:
        try:
            render.stop(prefix)
        finally:
            server.shutdown()
            upstream.shutdown()
            upstream.server_close()
            shutil.rmtree(prefix, ignore_errors=True)
            identity.truncate()


def company_administrator(portal, member_id: str, password: str) -> str:
    """Boulangerie Martin (1000001) in identity's directory and its administrator; returns the user id."""
    with portal.uow() as tx:
        tx.session.add(
            MemberDirectoryEntry(
                member_id=member_id, member_number="1000001", name="Boulangerie Martin", status="active", version=1
            )
        )
        tx.commit()
    user = accounts.create_user(
        portal,
        email="chef@boulangerie.fr",
        display_name="Paul Martin",
        password=password,
        login_member_number="1000001",
    )
    accounts.link_member(portal, user_id=user.id, member_id=member_id, roles=("admin",))
    return user.id
