"""The Kubernetes manifests an operator applies: valid against the Kubernetes schemas in strict mode (KEDA's
objects against their custom resources' schema), probes on every process, disruption budgets, autoscalers and
migrations that run once per release (docs/architecture.md, process model)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from billing.config import Settings
from billing.worker import subscriptions
from portal_common.heartbeat import Heartbeat

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
sys.path.insert(0, str(K8S))
from release import job_suffix, set_release  # noqa: E402

# The oldest Kubernetes release the manifests must still apply to (autoscaling/v2, policy/v1, batch/v1 TTL).
KUBERNETES_VERSION = "1.31.0"
KEDA_SCHEMAS = json.loads((K8S / "schemas" / "keda-v1alpha1.json").read_text("utf-8"))
KUSTOMIZE = "kustomize.config.k8s.io/v1beta1"


def documents(directory: Path = K8S) -> list[tuple[str, dict]]:
    found = []
    for manifest in sorted(directory.glob("*.yaml")):
        found += [(manifest.name, doc) for doc in yaml.safe_load_all(manifest.read_text("utf-8")) if doc]
    return found


def of_kind(kind: str) -> list[dict]:
    return [doc for _, doc in documents() if doc["kind"] == kind]


def validate(doc: dict) -> None:
    if doc["apiVersion"].startswith("keda.sh/"):
        jsonschema.validate(doc, KEDA_SCHEMAS[doc["kind"]])
    else:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def deployments() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in of_kind("Deployment")}


def container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][-1]


def background(name: str) -> bool:
    return name.endswith(("-relay", "-worker"))


def test_every_manifest_is_valid_against_the_kubernetes_schemas_in_strict_mode():
    checked = [(name, doc["kind"]) for name, doc in documents() if doc["apiVersion"] != KUSTOMIZE]
    for _, doc in documents():
        if doc["apiVersion"] != KUSTOMIZE:
            validate(doc)
    print(f"[k8s] {len(checked)} objects valid against Kubernetes {KUBERNETES_VERSION} (strict) and KEDA's CRDs")
    assert {"ScaledObject", "TriggerAuthentication", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= {
        kind for _, kind in checked
    }


@pytest.mark.parametrize(
    "kind, breakage",
    [
        ("Deployment", lambda d: d["spec"]["template"]["spec"]["containers"][0].update(livenesProbe={})),
        ("Job", lambda d: d["spec"].update(ttlSecondsAfterFinished="3600")),
        ("ScaledObject", lambda d: d["spec"]["triggers"][0]["metadata"].update(value=200)),  # KEDA wants strings
        ("ScaledObject", lambda d: d["spec"].update(maxReplicas=10)),  # a field of the HPA, not of KEDA
        ("TriggerAuthentication", lambda d: d["spec"]["secretTargetRef"][0].pop("key")),
    ],
)
def test_the_validation_catches_a_misspelt_or_mistyped_field(kind, breakage):
    doc = of_kind(kind)[0]
    breakage(doc)
    with pytest.raises((kubernetes_validate.ValidationError, jsonschema.ValidationError)):
        validate(doc)


def test_the_kustomization_lists_every_manifest_but_the_secret_template():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text("utf-8"))
    manifests = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(kustomization["resources"]) == manifests


def test_every_relay_and_worker_is_probed_through_its_heartbeat_file():
    processes = [name for name in deployments() if background(name)]
    assert len(processes) == 10  # a relay per service, a worker per service
    for name in processes:
        spec = container(deployments()[name])
        env = {item["name"]: item.get("value") for item in spec["env"]}
        path = env["PORTAL_HEARTBEAT_FILE"]
        assert Path(path).parent.as_posix() in {mount["mountPath"] for mount in spec["volumeMounts"]}, name
        live = spec["livenessProbe"]["exec"]["command"]
        ready = spec["readinessProbe"]["exec"]["command"]
        assert live[:4] == ["python", "-m", "portal_common.heartbeat", path] and "--ready" not in live, name
        assert ready[:4] == live[:4] and "--ready" in ready, name
        # The probe allows well more than the loop's longest silence (its reconnect back-off caps at 10 s).
        max_age = float(live[live.index("--max-age") + 1])
        assert max_age >= 6 * Heartbeat(path).interval, name


def test_web_pods_and_the_gateway_have_an_autoscaler_and_no_fixed_replica_count():
    autoscalers = {doc["spec"]["scaleTargetRef"]["name"]: doc for doc in of_kind("HorizontalPodAutoscaler")}
    web = {name for name, doc in deployments().items() if not background(name)}
    assert web == {"gateway", "otel-collector", *(f"{service}-web" for service in SERVICES)}
    assert set(autoscalers) == web
    for name in web:
        assert "replicas" not in deployments()[name]["spec"], f"{name}: the autoscaler owns the replica count"
        assert autoscalers[name]["spec"]["minReplicas"] >= 2, name


SERVICES = ("identity", "members", "workforce", "scheduling", "billing")


def test_every_deployment_has_a_disruption_budget_that_selects_its_pods():
    budgets = of_kind("PodDisruptionBudget")
    for name, deployment in deployments().items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(matching) == 1, name
        if not background(name):
            assert matching[0]["spec"].get("minAvailable") == 1, name


def test_keda_scales_billing_workers_on_every_queue_billing_consumes():
    [scaled] = of_kind("ScaledObject")
    queues = {trigger["metadata"]["queueName"] for trigger in scaled["spec"]["triggers"]}
    consumed = {
        subscription.queue for subscription in subscriptions(Settings.from_env({"PORTAL_INTERNAL_KEY": "k" * 40}))
    }
    assert queues == consumed, "add a KEDA trigger in deploy/k8s/billing-worker.yaml for each billing queue"
    assert "replicas" not in deployments()["billing-worker"]["spec"], "KEDA owns the worker count"


def release_of(directory: Path) -> tuple[set[str], dict[str, str]]:
    tags, jobs = set(), {}
    for _, doc in documents(directory):
        for spec in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            if "member-portal/" in spec["image"]:
                tags.add(spec["image"].rsplit(":", 1)[1])
        if doc["kind"] == "Job":
            jobs[doc["metadata"]["labels"]["portal/service"]] = doc["metadata"]["name"]
    return tags, jobs


def test_each_migrations_job_is_named_after_the_release_its_images_carry():
    [tag], jobs = release_of(K8S)
    assert set(jobs) == set(SERVICES)
    for service, name in jobs.items():
        assert name == f"{service}-migrate-{job_suffix(tag)}"
    for job in of_kind("Job"):
        assert job["spec"]["ttlSecondsAfterFinished"] > 0
        assert job["spec"]["template"]["spec"]["containers"][0]["args"][-2:] == ["upgrade", "head"]


def test_a_new_release_renames_the_migrations_jobs_and_setting_it_again_changes_nothing(tmp_path):
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    assert set_release("1.4.0-rc.1", copy)
    tags, jobs = release_of(copy)
    assert tags == {"1.4.0-rc.1"}
    assert jobs == {service: f"{service}-migrate-1-4-0-rc-1" for service in SERVICES}
    assert set_release("1.4.0-rc.1", copy) == []  # applying the same release again: nothing to change
    with pytest.raises(ValueError):
        set_release("latest", copy)


def test_the_collector_runs_the_configuration_compose_mounts_and_background_pods_are_scraped():
    [config] = [doc for doc in of_kind("ConfigMap") if doc["metadata"]["name"] == "otel-collector-config"]
    assert config["data"]["collector.yaml"] == (REPO / "deploy" / "otel" / "collector.yaml").read_text("utf-8")
    for name, deployment in deployments().items():
        if not background(name):
            continue
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert {"name": "metrics", "containerPort": int(annotations["prometheus.io/port"])} in container(deployment)[
            "ports"
        ], name
