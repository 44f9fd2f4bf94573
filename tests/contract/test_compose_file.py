"""docker-compose.yml is a valid Compose file describing this repository's services.

compose-spec.json is the Compose Specification JSON Schema vendored from the PyPI wheel
docker-compose==1.29.2 (file `compose/config/compose_spec.json`, Apache-2.0): tests run offline.
That schema predates a few newer keys (top-level `name`, `depends_on.*.restart`), so the compose
file keeps to the keys it knows, which every current Docker Compose also accepts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gateway import render

REPO = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose-spec.json")
ROLE_SUFFIX = re.compile(r"^(?P<service>[a-z]+)-(?:web|relay|worker|migrate)$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))
    return document


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    validator = jsonschema.Draft201909Validator(schema)
    errors = [f"{error.json_path}: {error.message}" for error in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_rejects_an_unknown_service_key(compose: dict[str, Any]) -> None:
    broken = {**compose, "services": {**compose["services"], "typo": {"imagee": "nginx"}}}
    validator = jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text("utf-8")))
    assert not validator.is_valid(broken)


def test_every_service_role_belongs_to_a_service_folder(compose: dict[str, Any]) -> None:
    roles = {name: match["service"] for name in compose["services"] if (match := ROLE_SUFFIX.match(name))}
    assert roles, "no <service>-web/-relay/-worker entries found"
    missing = {name: service for name, service in roles.items() if not (REPO / "services" / service).is_dir()}
    assert missing == {}


def test_every_service_runs_web_relay_worker_and_migrations(compose: dict[str, Any]) -> None:
    for service in render.load_routes():
        for role in ("web", "relay", "worker", "migrate"):
            assert f"{service}-{role}" in compose["services"], f"{service}-{role}"


def test_every_build_uses_the_root_dockerfile_with_a_service_argument(compose: dict[str, Any]) -> None:
    assert "ARG SERVICE" in (REPO / "Dockerfile").read_text("utf-8")
    builds = {name: spec["build"] for name, spec in compose["services"].items() if "build" in spec}
    assert builds
    for name, build in builds.items():
        assert build["context"] == ".", name
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile", name
        service = build["args"]["SERVICE"]
        assert (REPO / "services" / service).is_dir(), f"{name}: no services/{service}"
        if match := ROLE_SUFFIX.match(name):
            assert service == match["service"], name


def test_billing_workers_are_scaled_out(compose: dict[str, Any]) -> None:
    assert compose["services"]["billing-worker"]["deploy"]["replicas"] > 1


def test_services_require_the_internal_key_from_the_environment(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        if "build" in spec:
            assert spec["environment"]["PORTAL_INTERNAL_KEY"].startswith("${PORTAL_INTERNAL_KEY:?"), name


def test_every_key_a_service_gets_comes_from_the_environment_and_is_required(compose: dict[str, Any]) -> None:
    # Secrets (internal key, NIR keys, the card payment signing key) are never written in the file.
    keys = {
        (name, variable): value
        for name, spec in compose["services"].items()
        if "build" in spec
        for variable, value in spec.get("environment", {}).items()
        if variable.endswith("_KEY")
    }
    assert ("billing-web", "BILLING_CARD_SIGNING_KEY") in keys, "card payment needs its signing key"
    for (name, variable), value in keys.items():
        assert str(value).startswith(f"${{{variable}:?"), f"{name}: {variable}"


def test_compose_gateway_config_is_up_to_date_with_the_template() -> None:
    committed = (REPO / "deploy" / "compose" / "nginx.conf").read_text("utf-8")
    assert committed == render.render_compose(), "run: python gateway/render.py --deploy"


def test_kubernetes_gateway_configmap_is_up_to_date_with_the_template() -> None:
    committed = (REPO / "deploy" / "k8s" / "gateway-configmap.yaml").read_text("utf-8")
    assert committed == render.render_k8s_configmap(), "run: python gateway/render.py --deploy"
    data = yaml.safe_load(committed)["data"]
    assert data["nginx.conf"] == render.render_compose()
    assert data["proxy_headers.conf"] == (REPO / "gateway" / "conf" / "proxy_headers.conf").read_text("utf-8")
