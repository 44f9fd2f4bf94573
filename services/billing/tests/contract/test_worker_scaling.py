"""Billing's web and workers are separate process groups; workers are competing consumers with a bounded
prefetch, scaled by one setting locally, `replicas` in Compose and KEDA on billing's queues in Kubernetes."""

from pathlib import Path

import yaml

from billing.config import Settings
from billing.worker import DECLARATIONS_QUEUE
from portal_stack.__main__ import programs

REPO = Path(__file__).resolve().parents[4]


def manifests() -> dict[str, dict]:
    documents = yaml.safe_load_all((REPO / "deploy" / "k8s" / "billing-worker.yaml").read_text("utf-8"))
    return {document["kind"]: document for document in documents}


def test_the_consumer_prefetch_is_bounded_by_default():
    settings = Settings.from_env({"PORTAL_INTERNAL_KEY": "k" * 40})
    assert 1 <= settings.consumer_prefetch <= 50


def test_locally_the_worker_count_is_one_setting_of_the_stack(tmp_path):
    env = {"PORTAL_BILLING_WORKERS": "3", "PORTAL_DATA_DIR": str(tmp_path), "PORTAL_INTERNAL_KEY": "k" * 40}
    [workers] = [p for p in programs(env, tmp_path / "nginx" / "nginx.conf") if p.name == "billing-worker"]
    assert workers.instances == 3 and workers.argv[-2:] == ["-m", "billing.worker"]


def test_compose_runs_web_and_workers_as_separate_services_with_replicas():
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))["services"]
    assert "billing.app:create_app()" in " ".join(services["billing-web"]["command"])
    assert services["billing-worker"]["command"] == ["python", "-m", "billing.worker"]
    assert services["billing-worker"]["deploy"]["replicas"] >= 2


def test_kubernetes_scales_the_worker_deployment_on_the_depth_of_the_declarations_queue():
    by_kind = manifests()
    worker = by_kind["Deployment"]
    assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == ["python", "-m", "billing.worker"]
    scaled = by_kind["ScaledObject"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert 1 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    # Every billing queue has its trigger (tests/contract/test_kubernetes_manifests.py); the rush's is one of them.
    [trigger] = [t for t in scaled["spec"]["triggers"] if t["metadata"]["queueName"] == DECLARATIONS_QUEUE]
    assert (trigger["type"], trigger["metadata"]["mode"]) == ("rabbitmq", "QueueLength")
    assert trigger["authenticationRef"]["name"] == by_kind["TriggerAuthentication"]["metadata"]["name"]
