"""Card payment is on in Compose and Kubernetes: billing's web process gets the signing key it shares with the
provider (from the environment in Compose, from portal-secrets in Kubernetes) and a configurable provider URL;
no other billing process gets the key."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from billing.config import Settings
from billing.payments.card import card_enabled

REPO = Path(__file__).resolve().parents[4]
K8S = REPO / "deploy" / "k8s"
KEY = "BILLING_CARD_SIGNING_KEY"
# ${NAME:?message} (required) and ${NAME:-default}, the two forms docker-compose.yml uses.
INTERPOLATION = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+)(?::(?P<op>[?-])(?P<rest>.*))?\}$")


def compose_services() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))["services"]


def interpolate(value: str, environ: dict[str, str]) -> str:
    """What Compose puts in the container for one value, or KeyError when a required variable is unset."""
    match = INTERPOLATION.match(str(value))
    if match is None:
        return str(value)
    name, op, rest = match["name"], match["op"], match["rest"] or ""
    if environ.get(name):
        return environ[name]
    if op == "?":
        raise KeyError(name)
    return rest if op == "-" else ""


def k8s_documents(name: str) -> list[dict]:
    return [document for document in yaml.safe_load_all((K8S / name).read_text("utf-8")) if document]


def billing_containers() -> dict[str, dict]:
    """Every container of billing's workloads (Deployments and Jobs), by the workload's app name (a migration
    Job's own name carries its release)."""
    containers = {}
    for name in ("billing.yaml", "billing-worker.yaml"):
        for document in k8s_documents(name):
            if document["kind"] in {"Deployment", "Job"}:
                [container] = document["spec"]["template"]["spec"]["containers"]
                containers[document["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]] = container
    return containers


def k8s_environment(container: dict) -> dict[str, str]:
    """The container's environment, resolving config maps of the manifests and the example secret's keys."""
    config_maps = {
        document["metadata"]["name"]: document["data"]
        for name in ("portal-config.yaml", "billing.yaml")
        for document in k8s_documents(name)
        if document["kind"] == "ConfigMap"
    }
    [secret] = k8s_documents("secret.example.yaml")
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        environment.update(config_maps[source["configMapRef"]["name"]])
    for variable in container.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = variable["value"]
            continue
        reference = variable["valueFrom"]["secretKeyRef"]
        assert reference["name"] == secret["metadata"]["name"], variable["name"]
        assert reference["key"] in secret["stringData"], f"{reference['key']} is missing from secret.example.yaml"
        assert not reference.get("optional"), f"{variable['name']} must not be optional"
        environment[variable["name"]] = secret["stringData"][reference["key"]]
    return environment


def card_settings(environment: dict[str, str]) -> Settings:
    return Settings.from_env({"PORTAL_INTERNAL_KEY": "k" * 40, **environment})


def test_without_the_key_card_payment_is_off():
    assert not card_enabled(SimpleNamespace(settings=card_settings({})))


def test_compose_gives_billing_web_the_card_settings_from_the_environment():
    environment = compose_services()["billing-web"]["environment"]
    shell = {
        "PORTAL_INTERNAL_KEY": "k" * 40,
        # The other required keys of billing's containers (their values do not matter here).
        "PORTAL_PASSPORT_PUBLIC_KEYS": "identity:" + "A" * 43,
        "PORTAL_CSRF_KEYS": "csrf1:" + "A" * 43,
        "BILLING_PASSPORT_SIGNING_KEY": "A" * 43,
        "BILLING_BANK_FILE_KEYS": "bank1:" + "A" * 43,
        KEY: "s" * 48,
        "BILLING_CARD_PROVIDER_URL": "https://pay.example.org/payer",
        "BILLING_CARD_MERCHANT_ID": "spsti-prod",
    }
    resolved = {name: interpolate(value, shell) for name, value in environment.items()}
    settings = card_settings(resolved)
    assert card_enabled(SimpleNamespace(settings=settings))
    assert (settings.card_signing_key, settings.card_provider_url, settings.card_merchant_id) == (
        "s" * 48,
        "https://pay.example.org/payer",
        "spsti-prod",
    )
    # The default notification URL (public URL + path) stays in force unless one is given.
    assert settings.card_notify_url == ""


@pytest.mark.parametrize("variable", [KEY, "BILLING_CARD_PROVIDER_URL", "BILLING_CARD_MERCHANT_ID"])
def test_compose_refuses_to_start_billing_web_without_a_card_setting(variable):
    # A required ${NAME:?...} like PORTAL_INTERNAL_KEY: never a hard-coded value nor a silent default.
    value = compose_services()["billing-web"]["environment"][variable]
    assert value.startswith(f"${{{variable}:?"), value


def test_compose_keeps_the_card_key_out_of_billing_background_processes():
    services = compose_services()
    for name in ("billing-relay", "billing-worker", "billing-migrate"):
        assert KEY not in services[name]["environment"], name


def test_kubernetes_gives_billing_web_the_key_from_the_secret_and_the_provider_from_a_config_map():
    web = billing_containers()["billing-web"]
    environment = k8s_environment(web)
    assert any(
        variable["name"] == KEY and variable["valueFrom"]["secretKeyRef"]["key"] == "billing-card-signing-key"
        for variable in web["env"]
    )
    settings = card_settings(environment)
    assert card_enabled(SimpleNamespace(settings=settings))
    assert settings.card_provider_url.startswith("https://")
    assert settings.card_provider_url != Settings.card_provider_url.default
    assert settings.card_merchant_id != Settings.card_merchant_id.default


def test_kubernetes_keeps_the_card_key_out_of_billing_background_processes():
    containers = billing_containers()
    assert {"billing-migrate", "billing-relay", "billing-worker"} <= set(containers)
    for name in ("billing-migrate", "billing-relay", "billing-worker"):
        assert KEY not in k8s_environment(containers[name]), name


def test_kubernetes_lists_the_billing_config_map_in_the_kustomization():
    # billing-config lives in billing.yaml, which kustomize applies; the web pod needs it to start.
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text("utf-8"))
    assert "billing.yaml" in kustomization["resources"]
    assert any(
        document["kind"] == "ConfigMap" and document["metadata"]["name"] == "billing-config"
        for document in k8s_documents("billing.yaml")
    )
