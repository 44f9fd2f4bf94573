"""The real nginx gateway, rendered from gateway/nginx.conf.template, in front of stub upstreams."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from gateway import render

SESSION_COOKIE = "portal_session"


def _nginx_or_skip() -> str:
    try:
        return render.nginx_binary()
    except FileNotFoundError:
        pytest.skip("nginx is not installed (apt-get install nginx); the gateway cannot be tested")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class StubHandler(BaseHTTPRequestHandler):
    """Test double of a service at the network edge: identity's internal endpoints, else an echo."""

    protocol_version = "HTTP/1.1"  # lets nginx keep upstream connections alive, as in production
    server: StubServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append((self.command, self.path, list(self.headers.items())))
        if self.path.endswith("/__close__"):
            # A crashed service: the connection drops without an answer.
            self.close_connection = True
            return
        if self.server.name == "identity" and self.path == "/internal/session":
            cookies = dict(
                part.strip().split("=", 1) for part in (self.headers.get("Cookie") or "").split(";") if "=" in part
            )
            if SESSION_COOKIE in cookies:
                self._send(204, {"X-Portal-Identity": f"passport-for-{cookies[SESSION_COOKIE]}"})
            else:
                self._send(401, {})
            return
        if self.server.name == "identity" and self.path == "/internal/login-redirect":
            original = self.headers.get("X-Original-URI", "/")
            self._send(302, {"Location": f"/connexion?next={quote(original, safe='')}"})
            return
        echo = {
            "service": self.server.name,
            "method": self.command,
            "path": self.path,
            "body": body.decode("utf-8", "replace"),
            "headers": list(self.headers.items()),
        }
        self._send(200, {"Content-Type": "application/json"}, json.dumps(echo).encode())

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.name = name
        self.received: list[tuple[str, str, list[tuple[str, str]]]] = []


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def upstream_headers(self, name: str) -> list[str]:
        """Values of header `name` as the echo upstream received it (case-insensitive)."""
        return [value for key, value in self.json()["headers"] if key.lower() == name.lower()]


@dataclass
class Gateway:
    port: int
    prefix: Path
    identity: StubServer
    members: StubServer

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        source: str = "127.0.0.1",
    ) -> Response:
        """`source`: the client address nginx sees (any 127.0.0.0/8 address on Linux)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(source, 0))
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()


def _logged_in(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}=alice", **(extra or {})}


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    _nginx_or_skip()
    identity, members = StubServer("identity"), StubServer("members")
    for stub in (identity, members):
        threading.Thread(target=stub.serve_forever, daemon=True).start()
    upstreams = dict.fromkeys(render.load_routes(), f"127.0.0.1:{members.server_address[1]}")
    upstreams["identity"] = f"127.0.0.1:{identity.server_address[1]}"
    # Not pytest's tmp_path: its 0700 parents would keep nginx's workers (user nobody) out.
    prefix = Path(tempfile.mkdtemp(prefix="portal-gateway-"))
    port = _free_port()
    render.write_config(prefix, listen_port=port, upstreams=upstreams, daemon=True)
    try:
        render.start(prefix)
        yield Gateway(port, prefix, identity, members)
    finally:
        try:
            render.stop(prefix)
        finally:
            for stub in (identity, members):
                stub.shutdown()
                stub.server_close()
            shutil.rmtree(prefix, ignore_errors=True)


def test_rendered_config_passes_nginx_syntax_check(tmp_path: Path) -> None:
    _nginx_or_skip()
    render.write_config(tmp_path / "nginx", listen_port=_free_port())
    assert "test is successful" in render.test_config(tmp_path / "nginx")


def test_authenticated_page_request_reaches_upstream_with_the_gateway_identity_only(gateway: Gateway) -> None:
    forged = {
        "X-Portal-Identity": "forged",
        "X-Portal-User": "forged",
        "X-Portal-Roles": "admin",
        "X-User-Id": "1",
        "X-Tenant-Id": "1",
        "X-Forwarded-For": "6.6.6.6",
        "X-Forwarded-Host": "evil.example",
    }
    response = gateway.request("GET", "/salaries/42?tri=nom", headers=_logged_in(forged))
    assert response.status == 200
    assert response.json()["path"] == "/salaries/42?tri=nom"
    assert response.upstream_headers("X-Portal-Identity") == ["passport-for-alice"]
    for name in ("X-Portal-User", "X-Portal-Roles", "X-User-Id", "X-Tenant-Id", "X-Forwarded-Host"):
        assert response.upstream_headers(name) == [], name
    assert response.upstream_headers("X-Forwarded-For") == ["127.0.0.1"]


def test_session_check_receives_the_original_uri_and_method(gateway: Gateway) -> None:
    gateway.identity.received.clear()
    # A cookie no earlier test sent: the gateway keeps a positive check a second (docs/security.md SESS-05).
    fresh = {"Cookie": f"{SESSION_COOKIE}=original-uri"}
    gateway.request("POST", "/factures/7/payer?x=1", headers=fresh, body="a=1")
    method, path, headers = gateway.identity.received[0]
    sent = {name.lower(): value for name, value in headers}
    assert (method, path) == ("GET", "/internal/session")
    assert sent["x-original-uri"] == "/factures/7/payer?x=1"
    assert sent["x-original-method"] == "POST"
    assert "content-length" not in sent


def test_members_root_is_routed_to_members_exactly(gateway: Gateway) -> None:
    response = gateway.request("GET", "/", headers=_logged_in())
    assert response.status == 200
    assert response.json()["path"] == "/"


def test_page_request_without_session_is_redirected_to_login_with_return_path(gateway: Gateway) -> None:
    response = gateway.request("GET", "/factures/12?annee=2026")
    assert response.status == 302
    assert response.headers["Location"] == f"/connexion?next={quote('/factures/12?annee=2026', safe='')}"


def test_form_post_without_session_is_redirected_to_login_too(gateway: Gateway) -> None:
    response = gateway.request(
        "POST", "/compte", body="x=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status == 302
    assert response.headers["Location"].startswith("/connexion?next=")


def test_api_request_without_session_gets_json_401(gateway: Gateway) -> None:
    response = gateway.request("GET", "/api/members/x")
    assert response.status == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"code": 401, "status": "Unauthorized", "message": "Authentification requise."}


def test_authenticated_api_request_reaches_the_service_with_its_path_unchanged(gateway: Gateway) -> None:
    response = gateway.request("GET", "/api/workforce/employees?page=2", headers=_logged_in())
    assert response.status == 200
    assert response.json()["path"] == "/api/workforce/employees?page=2"
    assert response.upstream_headers("X-Portal-Identity") == ["passport-for-alice"]


def test_api_docs_and_openapi_are_public_and_carry_no_identity(gateway: Gateway) -> None:
    for path in ("/api/billing/openapi.json", "/api/billing/docs"):
        response = gateway.request("GET", path, headers={"X-Portal-Identity": "forged"})
        assert response.status == 200, path
        assert response.upstream_headers("X-Portal-Identity") == [], path


def test_login_page_is_public_and_carries_no_identity(gateway: Gateway) -> None:
    response = gateway.request("GET", "/connexion", headers=_logged_in({"X-Portal-Identity": "forged"}))
    assert response.status == 200
    assert response.json()["service"] == "identity"
    assert response.upstream_headers("X-Portal-Identity") == []


def test_internal_session_endpoint_is_not_reachable_from_outside(gateway: Gateway) -> None:
    for path in ("/internal/session", "/internal/login-redirect", "/_auth", "/_login_redirect"):
        response = gateway.request("GET", path, headers=_logged_in())
        assert response.status == 404, path
    assert not any(path.startswith("/internal/") and method != "GET" for method, path, _ in gateway.identity.received)


def test_unknown_page_gets_the_french_404_page(gateway: Gateway) -> None:
    response = gateway.request("GET", "/nulle-part", headers=_logged_in())
    assert response.status == 404
    assert response.headers["Content-Type"].startswith("text/html")
    text = response.body.decode("utf-8")
    assert 'lang="fr"' in text and "Page introuvable" in text and 'href="/"' in text


def test_unknown_api_service_gets_json_404(gateway: Gateway) -> None:
    response = gateway.request("GET", "/api/inconnu/x", headers=_logged_in())
    assert response.status == 404
    assert response.json() == {"code": 404, "status": "Not Found", "message": "Ressource introuvable."}


def test_service_failure_gets_the_french_unavailable_page_or_json(gateway: Gateway) -> None:
    page = gateway.request("GET", "/rendez-vous/__close__", headers=_logged_in())
    assert page.status == 502
    assert "Service momentanément indisponible" in page.body.decode("utf-8")
    api = gateway.request("GET", "/api/scheduling/__close__", headers=_logged_in())
    assert api.status == 502
    assert api.json()["code"] == 502


def test_healthz_answers_ok_from_the_gateway_itself(gateway: Gateway) -> None:
    response = gateway.request("GET", "/healthz")
    assert (response.status, response.body) == (200, b"ok")


def test_responses_carry_the_request_id_the_upstream_received(gateway: Gateway) -> None:
    response = gateway.request("GET", "/adherent", headers=_logged_in({"X-Request-Id": "client-chosen"}))
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert response.upstream_headers("X-Request-Id") == [request_id]
    assert gateway.request("GET", "/nulle-part").headers["X-Request-Id"]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post_logins_until_refused(gateway: Gateway, source: str, limit: int = 400) -> tuple[list[int], Response]:
    """Sign-in posts from one address until the gateway refuses one (the zone refills while they are sent)."""
    statuses = []
    for _ in range(limit):
        response = gateway.request(
            "POST", "/connexion", body="identifiant=a&mot_de_passe=b", headers=FORM, source=source
        )
        statuses.append(response.status)
        if response.status == 429:
            break
    return statuses, response


def test_the_sign_in_ceiling_per_address_is_sized_for_an_office_and_configurable() -> None:
    config = render.render("127.0.0.1", 8080, "/tmp/p", render.default_upstreams())
    assert re.search(r"limit_req_zone \$login_limit_key zone=login:\S+ rate=120r/m;", config)
    assert re.findall(r"limit_req zone=login burst=(\d+) nodelay;", config) == ["100"] * len(
        re.findall(r"zone=login burst", config)
    )
    # docs/security.md AUTH-21: 50 people posting a password then a second factor fit in the burst.
    assert render.LOGIN_BURST >= 2 * 50
    custom = render.render("127.0.0.1", 8080, "/tmp/p", render.default_upstreams(), login_rate="5r/s", login_burst=7)
    assert "rate=5r/s;" in custom and "burst=7 nodelay" in custom
    assert render.render_compose().count("limit_req zone=login burst=100 nodelay;") >= 1


def test_an_office_behind_one_address_posts_eighty_sign_ins_at_once_and_none_is_refused(gateway: Gateway) -> None:
    # 40 people at 9 a.m., each posting a password then a second factor, as fast as the test can send them.
    statuses = [
        gateway.request("POST", path, body="a=b", headers=FORM, source="127.0.0.40").status
        for _ in range(40)
        for path in ("/connexion", "/connexion/double-authentification")
    ]
    assert statuses == [200] * 80
    # Another office is not held back by the first one's morning.
    assert gateway.request("POST", "/connexion", body="a=b", headers=FORM, source="127.0.0.41").status == 200


def test_rapid_login_posts_past_the_office_ceiling_are_rate_limited_with_a_french_429(gateway: Gateway) -> None:
    statuses, limited = post_logins_until_refused(gateway, "127.0.0.42")
    assert statuses[: render.LOGIN_BURST] == [200] * render.LOGIN_BURST
    assert statuses[-1] == 429
    assert limited.headers["Retry-After"] == "60"
    text = limited.body.decode("utf-8")
    assert 'lang="fr"' in text and "Trop de tentatives" in text
    assert limited.headers["X-Frame-Options"] == "DENY"
    # Reading the login page is not limited, and another address is not held back.
    assert gateway.request("GET", "/connexion", source="127.0.0.42").status == 200
    assert gateway.request("POST", "/connexion", body="a=b", headers=FORM, source="127.0.0.43").status == 200


def _notification_location(config: str) -> str:
    block = re.search(r"location = /paiement-carte/notification \{(?P<body>.*?)\n        \}", config, re.S)
    assert block is not None, "no location for the card provider's notification"
    return block["body"]


def test_the_card_notification_location_has_its_own_rate_limit_zone_keyed_on_the_client_address() -> None:
    for config in (render.render_compose(), render.render("127.0.0.1", 8080, "/tmp/p", render.default_upstreams())):
        zone = re.search(r"limit_req_zone (\S+) zone=card_notification:\S+ rate=(\S+);", config)
        assert zone is not None and zone.group(1) == "$binary_remote_addr"
        body = _notification_location(config)
        assert re.findall(r"limit_req zone=(\w+) burst=(\d+)", body) == [("card_notification", "50")]
        assert "proxy_pass http://billing_upstream;" in body


def test_card_notifications_pass_while_logins_from_the_same_address_are_limited(gateway: Gateway) -> None:
    form = FORM
    logins, _ = post_logins_until_refused(gateway, "127.0.0.1")
    assert logins[-1] == 429
    refused_at = time.monotonic()
    # A provider retrying a backlog of notifications: well within the burst, none refused.
    notified = [
        gateway.request("POST", "/paiement-carte/notification", body="reference=R1&signature=x", headers=form)
        for _ in range(30)
    ]
    assert [response.status for response in notified] == [200] * 30
    assert notified[0].json()["path"] == "/paiement-carte/notification"
    assert notified[0].upstream_headers("X-Portal-Identity") == []
    # Past its own burst the provider gets a JSON 429 with Retry-After (it retries later), not a login page.
    # (The zone refills at 10 r/s while the test sends, so keep sending until it is exhausted.)
    for _ in range(300):
        limited = gateway.request("POST", "/paiement-carte/notification", body="reference=R1", headers=form)
        if limited.status != 200:
            break
    assert limited.status == 429
    assert limited.json() == {
        "code": 429,
        "status": "Too Many Requests",
        "message": "Trop de requêtes, réessayez dans une minute.",
    }
    assert limited.headers["Retry-After"] == "60"
    # Logins are still limited: the notifications neither refilled nor shared their zone. The login zone only
    # refilled at its own 2 a second meanwhile: at most that many posts pass before the next refusal.
    again, _ = post_logins_until_refused(gateway, "127.0.0.1")
    assert again[-1] == 429
    assert len(again) - 1 <= 2 * (time.monotonic() - refused_at) + 1


def test_static_responses_carry_security_headers(gateway: Gateway) -> None:
    response = gateway.request("GET", "/static/portal.css")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "max-age=3600"
    assert response.headers["X-Request-Id"]
    assert "Server" not in response.headers or response.headers["Server"] == "nginx"


def test_proxied_responses_get_no_gateway_security_headers(gateway: Gateway) -> None:
    response = gateway.request("GET", "/adherent", headers=_logged_in())
    assert response.status == 200
    assert response.headers.get_all("Content-Security-Policy") is None
    assert len(response.headers.get_all("X-Request-Id") or []) == 1


def test_swagger_ui_assets_are_served_offline(gateway: Gateway) -> None:
    if render.default_swagger_dir() is None:
        pytest.skip("swagger-ui-bundle is not installed")
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = gateway.request("GET", f"/static/swagger-ui/{asset}")
        assert response.status == 200, asset


def test_the_access_log_never_holds_a_query_string_or_a_token_in_the_path(gateway: Gateway) -> None:
    token = "Zm9vYmFyLXNlY3JldC10b2tlbi0xMjM0NTY3ODkw"
    gateway.request("GET", f"/connexion/activation/{token}")
    gateway.request("GET", "/connexion?code=123456")
    deadline = time.monotonic() + 5  # nginx writes the line once the response is sent
    log = ""
    while "123456" not in log and "connexion?" not in log and time.monotonic() < deadline:
        log = (gateway.prefix / "access.log").read_text(encoding="utf-8")
        if log.count("/connexion") >= 2:
            break
        time.sleep(0.05)
    assert "/connexion/activation/[masqu" in log
    assert token not in log and "123456" not in log


@pytest.mark.parametrize("method", ["TRACE", "TRACK", "CONNECT", "PROPFIND", "FOO"])
def test_methods_the_portal_never_answers_get_405_with_the_allowed_list(gateway: Gateway, method: str) -> None:
    for path in ("/adherent", "/api/members/members"):
        response = gateway.request(method, path, headers=_logged_in({}))
        assert response.status == 405, (method, path)
        assert response.headers["Allow"] == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert gateway.members.received == [] or all(entry[0] != method for entry in gateway.members.received)
    assert gateway.request(method, "/api/members/members").json()["code"] == 405
    assert "Action non autorisée" in gateway.request(method, "/adherent").body.decode("utf-8")


def test_the_gateway_starts_the_trace_its_request_id_is_the_trace_id_and_a_client_traceparent_is_dropped(
    gateway: Gateway,
) -> None:
    forged = "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"
    response = gateway.request("GET", "/salaries/42", headers=_logged_in({"traceparent": forged, "tracestate": "x=1"}))
    assert response.status == 200
    [request_id] = response.upstream_headers("X-Request-Id")
    [traceparent] = response.upstream_headers("traceparent")
    version, trace_id, parent_span, flags = traceparent.split("-")
    assert (version, trace_id, parent_span, flags) == ("00", request_id, request_id[:16], "01")
    assert len(trace_id) == 32 and int(trace_id, 16) and traceparent != forged
    assert response.upstream_headers("tracestate") == []
