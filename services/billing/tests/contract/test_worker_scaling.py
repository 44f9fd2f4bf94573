"""Billing's web and workers are separate process groups; workers are competing consumers with a bounded
prefetch, scaled by one setting locally, `replicas` in Compose and KEDA on the declarations queue in Kubernetes."""

from pathlib import Path

import jsonschema
import pytest
import yaml

from billing.config import Settings
from billing.worker import DECLARATIONS_QUEUE
from portal_stack.__main__ import honcho_command

REPO = Path(__file__).resolve().parents[4]

# The parts of KEDA 2.x's ScaledObject and TriggerAuthentication CRDs (keda.sh/v1alpha1, openAPIV3Schema)
# this manifest uses: required keys, int32 counts, trigger metadata as strings, secret references complete.
INT32 = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
SCALED_OBJECT = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "properties": {
                "scaleTargetRef": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "apiVersion": {"type": "string"},
                    },
                },
                "minReplicaCount": INT32,
                "maxReplicaCount": INT32,
                "pollingInterval": INT32,
                "cooldownPeriod": INT32,
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "properties": {
                            "type": {"type": "string"},
                            "name": {"type": "string"},
                            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                            "authenticationRef": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {"name": {"type": "string"}},
                            },
                        },
                        "additionalProperties": False,
                    },
                },
            },
        },
    },
}
TRIGGER_AUTHENTICATION = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "TriggerAuthentication"},
        "spec": {
            "type": "object",
            "properties": {
                "secretTargetRef": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["parameter", "name", "key"],
                        "properties": {
                            "parameter": {"type": "string"},
                            "name": {"type": "string"},
                            "key": {"type": "string"},
                        },
                        "additionalProperties": False,
                    },
                }
            },
        },
    },
}


def manifests() -> dict[str, dict]:
    documents = yaml.safe_load_all((REPO / "deploy" / "k8s" / "billing-worker.yaml").read_text("utf-8"))
    return {document["kind"]: document for document in documents}


def test_the_consumer_prefetch_is_bounded_by_default():
    settings = Settings.from_env({"PORTAL_INTERNAL_KEY": "k" * 40})
    assert 1 <= settings.consumer_prefetch <= 50


def test_locally_the_worker_count_is_one_setting_of_the_stack():
    command = honcho_command({"PORTAL_BILLING_WORKERS": "3"}, Path("/tmp/Procfile"))
    assert "billing-worker=3" in command


def test_compose_runs_web_and_workers_as_separate_services_with_replicas():
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))["services"]
    assert "billing.app:create_app()" in " ".join(services["billing-web"]["command"])
    assert services["billing-worker"]["command"] == ["python", "-m", "billing.worker"]
    assert services["billing-worker"]["deploy"]["replicas"] >= 2


def test_the_keda_objects_match_the_schema_of_their_custom_resources():
    by_kind = manifests()
    jsonschema.validate(by_kind["ScaledObject"], SCALED_OBJECT)
    jsonschema.validate(by_kind["TriggerAuthentication"], TRIGGER_AUTHENTICATION)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda so: so["spec"]["triggers"][0]["metadata"].update(value=200),  # KEDA wants strings
        lambda so: so["spec"].pop("scaleTargetRef"),
        lambda so: so["spec"].update(maxReplicaCount="10"),
    ],
)
def test_the_schema_check_catches_a_broken_scaled_object(breakage):
    scaled = manifests()["ScaledObject"]
    breakage(scaled)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled, SCALED_OBJECT)


def test_kubernetes_scales_the_worker_deployment_on_the_depth_of_the_declarations_queue():
    by_kind = manifests()
    worker = by_kind["Deployment"]
    assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == ["python", "-m", "billing.worker"]
    scaled = by_kind["ScaledObject"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert 1 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    [trigger] = scaled["spec"]["triggers"]
    assert (trigger["type"], trigger["metadata"]["queueName"], trigger["metadata"]["mode"]) == (
        "rabbitmq",
        DECLARATIONS_QUEUE,
        "QueueLength",
    )
    assert trigger["authenticationRef"]["name"] == by_kind["TriggerAuthentication"]["metadata"]["name"]
