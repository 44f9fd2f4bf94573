"""docs/security.md KEY-01: every deployment gives each service's processes its own passport private key and no
other, and every process the public keys (compose, Kubernetes, the local stack)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from portal_common import passport
from portal_common.config import SERVICE_NAMES, signing_key_variable

REPO = Path(__file__).resolve().parents[2]
ROLE = re.compile(r"^(?P<service>[a-z]+)-(?P<role>web|relay|worker|migrate)$")
SIGNING = re.compile(r"^[A-Z]+_PASSPORT_SIGNING_KEY$")


def compose_services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))["services"]
    return services


def test_compose_gives_each_service_only_its_own_private_key_and_everyone_the_public_keys() -> None:
    checked = 0
    for name, spec in compose_services().items():
        match = ROLE.match(name)
        if match is None:
            continue
        environment = spec["environment"]
        own = signing_key_variable(match["service"])
        assert {v for v in environment if SIGNING.match(v)} == {own}, name
        assert environment[own].startswith(f"${{{own}:?"), name
        assert environment["PORTAL_PASSPORT_PUBLIC_KEYS"].startswith("${PORTAL_PASSPORT_PUBLIC_KEYS:?"), name
        checked += 1
    assert checked == 20


def test_kubernetes_web_and_worker_pods_read_their_own_private_key_from_the_secret() -> None:
    [secret] = yaml.safe_load_all((REPO / "deploy/k8s/secret.example.yaml").read_text("utf-8"))
    checked = 0
    for path in sorted((REPO / "deploy/k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text("utf-8")):
            if not document or document.get("kind") not in {"Deployment", "Job"}:
                continue
            match = ROLE.match(document["metadata"]["name"])
            if match is None or match["role"] not in {"web", "worker"}:
                continue
            [container] = document["spec"]["template"]["spec"]["containers"]
            env = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container["env"] if "valueFrom" in e}
            own = signing_key_variable(match["service"])
            assert {v for v in env if SIGNING.match(v)} == {own}, path.name
            assert env[own] == f"{match['service']}-passport-signing-key" and env[own] in secret["stringData"]
            assert env["PORTAL_PASSPORT_PUBLIC_KEYS"] == "passport-public-keys"
            checked += 1
    assert checked == 10


def test_the_local_stack_keeps_private_keys_out_of_the_shared_environment_and_the_procfile(tmp_path) -> None:
    from portal_stack.__main__ import procfile
    from portal_stack.environment import service_environment, signing_key_path, stack_environment

    env = stack_environment({"PORTAL_DATA_DIR": str(tmp_path), "IDENTITY_PASSPORT_SIGNING_KEY": "from-the-shell"})
    assert not [v for v in env if SIGNING.match(v)]
    keys = passport.parse_public_keys(env["PORTAL_PASSPORT_PUBLIC_KEYS"])
    for name in (
        "PORTAL_CSRF_KEYS",
        "MEMBERS_IBAN_KEYS",
        "IDENTITY_TOTP_KEYS",
        "IDENTITY_EMAIL_LINK_KEYS",
        "BILLING_BANK_FILE_KEYS",
    ):
        assert env[name] and env[name] == stack_environment({"PORTAL_DATA_DIR": str(tmp_path)})[name]  # reused
    lines = procfile(env, tmp_path / "nginx" / "nginx.conf").read_text().splitlines()
    for service in SERVICE_NAMES:
        private = signing_key_path(env, service).read_text().strip()
        assert oct(signing_key_path(env, service).stat().st_mode & 0o777) == "0o600"
        principal = passport.Principal(user_id=f"service:{service}", display_name=service, session_ref="x")
        signer = passport.Signer(service, passport.parse_signing_key(private))
        assert passport.verify(signer.sign(principal), keys) == principal
        assert service_environment(env, service)[signing_key_variable(service)] == private
        for line in lines:
            assert private not in line
            if line.startswith(f"{service}-web:") or line.startswith(f"{service}-worker:"):
                assert f'{signing_key_variable(service)}="$(cat {signing_key_path(env, service)})"' in line
                assert line.count("_PASSPORT_SIGNING_KEY=") == 1
