"""docs/security.md AZ-06: a call that does not come through the gateway is refused.

Two layers: the deployments publish no service port to the public network (only the gateway's), and a request
that reaches a service directly with forged identity headers (plain `X-User-*`, `X-Tenant-*`, or a passport not
signed with the internal key) is anonymous on every route of identity.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from portal_common import passport
from portal_common.access import rule_for
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[4]
PORTAL_SERVICES = ("identity", "members", "workforce", "scheduling", "billing")


def test_the_compose_stack_publishes_no_service_port_and_only_the_gateway_on_the_public_network():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))
    public = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            published = str(port.get("published") if isinstance(port, dict) else port)
            loopback = published.startswith("127.0.0.1:") or (
                isinstance(port, dict) and port.get("host_ip") == "127.0.0.1"
            )
            if not loopback:
                public.setdefault(name, []).append(published)
        if any(name.startswith(portal) for portal in PORTAL_SERVICES):
            assert "ports" not in service, f"{name} publishes a port: only the gateway may"
    assert list(public) == ["gateway"]


def test_kubernetes_lets_only_the_portals_own_pods_reach_a_service_and_exposes_services_inside_the_cluster_only():
    documents = [
        doc
        for path in sorted((REPO / "deploy/k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text("utf-8"))
        if doc
    ]
    policies = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "NetworkPolicy"}
    web = policies["web-from-portal-only"]["spec"]
    assert web["podSelector"] == {"matchLabels": {"app.kubernetes.io/component": "web"}}
    portal_pods = {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "member-portal"}}}
    assert web["ingress"] == [{"from": [portal_pods], "ports": [{"protocol": "TCP", "port": 8000}]}]
    services = [doc for doc in documents if doc["kind"] == "Service"]
    exposed = [
        doc["metadata"]["name"]
        for doc in services
        if doc["spec"].get("type", "ClusterIP") != "ClusterIP"
        and doc["metadata"]["labels"].get("portal/service") in PORTAL_SERVICES
    ]
    assert services and exposed == []


def _forged_headers(service) -> dict[str, str]:
    staff = make_principal(staff_roles=("admin",), roles=("admin",), member_id=str(uuid.uuid4()), grants=("step_up",))
    return {
        "X-User-Id": staff.user_id,
        "X-User-Roles": "admin",
        "X-Tenant-Id": str(staff.member_id),
        "X-Forwarded-For": "10.0.0.1",
        "X-Real-IP": "10.0.0.1",
        passport.HEADER: passport.Signer("identity", passport.parse_signing_key(passport.new_signing_key())).sign(
            staff
        ),
    }


def test_a_direct_call_with_forged_identity_headers_reaches_no_protected_route_of_identity(service):
    app = service.app
    client = app.test_client()
    headers = _forged_headers(service)
    reached, tried = [], 0
    for url_rule in app.url_map.iter_rules():
        values = {argument: str(uuid.uuid4()) for argument in url_rule.arguments}
        path = url_rule.build(values, append_unknown=False)[1] if values else url_rule.rule
        for method in sorted((url_rule.methods or set()) - {"HEAD", "OPTIONS"}):
            rule = rule_for(app, url_rule.endpoint, method)
            if not rule.needs_identity:
                continue
            tried += 1
            status = client.open(path, method=method, headers=headers).status_code
            if status not in (302, 401):
                reached.append(f"{method} {url_rule.rule} answered {status}")
    assert tried >= 30 and reached == []  # every protected page and API of identity


def test_the_session_check_never_trusts_a_forged_passport_or_plain_identity_headers(service):
    response = service.app.test_client().get("/internal/session", headers=_forged_headers(service))
    assert response.status_code == 401 and passport.HEADER not in response.headers
