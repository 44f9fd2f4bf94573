"""Metrics that add up: two gunicorn workers behind one `/metrics`, the relay's and the worker's own `/metrics`,
and alert rules and a dashboard that only name metrics these processes really export.

Workforce's web process runs for real under gunicorn with two workers (portal_common.gunicorn_conf); its relay
and scheduling's consumer run in threads of this process, each serving its registry over HTTP as
`PORTAL_METRICS_PORT` makes them do in production.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import pytest
import requests
import yaml
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from portal_common import process_metrics
from portal_common.messaging import broker
from portal_common.testing import make_principal

from ..conftest import ROOT, Running, consumer_for, relay_for
from .test_event_delivery import wait_until
from .test_hire_to_obligation import NIGHT_WORKER

pytestmark = pytest.mark.integration

HIRED = "workforce.employee.hired.v1"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "january-rush.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def samples(text: str) -> list:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def families(text: str) -> list:
    return list(text_string_to_metric_families(text))


SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}


def series_names(family) -> set[str]:  # type: ignore[no-untyped-def]
    """The names a family's series may carry in a query (`…_total` of a counter, `…_bucket` of a histogram)."""
    return {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))} | {s.name for s in family.samples}


def total(text: str, name: str, **labels: str) -> float:
    return sum(s.value for s in samples(text) if s.name == name and labels.items() <= s.labels.items())


class Web:
    def __init__(self, url: str, metrics_dir: Path, process: subprocess.Popen):
        self.url, self.metrics_dir, self.process = url, metrics_dir, process

    def scrape(self) -> str:
        response = requests.get(f"{self.url}/metrics", timeout=10)
        assert response.status_code == 200
        return response.text


@pytest.fixture(scope="module")
def services(portal_env) -> dict:
    """Only the two services these tests run (the session-wide fixture builds all five)."""
    built = {}
    for name in ("workforce", "scheduling"):
        create_app = importlib.import_module(f"{name}.app").create_app
        built[name] = portal_env.service(name, create_app, ROOT / "services" / name)
    return built


@pytest.fixture(scope="module")
def web(services, portal_env, tmp_path_factory) -> Iterator[Web]:
    """Workforce under gunicorn, two worker processes, one metrics directory."""
    workforce = services["workforce"]
    port = free_port()
    metrics_dir = tmp_path_factory.mktemp("prometheus-multiproc")
    env = {
        **os.environ,
        **portal_env.environ("workforce", workforce.database_url),
        "PORTAL_WEB_BIND": f"127.0.0.1:{port}",
        "PORTAL_WEB_WORKERS": "2",
        "PORTAL_WEB_THREADS": "2",
        "PORTAL_WEB_ACCESS_LOG": "off",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:portal_common.gunicorn_conf", "workforce.app:create_app()"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{url}/healthz", timeout=10).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else "gunicorn exited"
            return False

    try:
        wait_until(answers, timeout=60, interval=0.2)
        yield Web(url, metrics_dir, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def pipeline(services) -> Iterator[dict]:
    """Workforce's relay and scheduling's consumer, each serving its metrics on a port of its own."""
    running = Running()
    relay = relay_for(services["workforce"])
    consumer = consumer_for(services["scheduling"])
    consumer.queue_sample_seconds = 0.2
    servers = [process_metrics.serve(part.metrics.registry, port=0, addr="127.0.0.1") for part in (relay, consumer)]
    running.start(consumer, app=services["scheduling"].app)
    assert consumer.ready.wait(30), "consumer did not connect"
    running.start(relay)
    try:
        yield {
            "services": services,
            "relay": relay,
            "consumer": consumer,
            "relay_url": f"http://127.0.0.1:{servers[0].server_address[1]}/metrics",
            "worker_url": f"http://127.0.0.1:{servers[1].server_address[1]}/metrics",
        }
    finally:
        running.stop()
        for server in servers:
            server.shutdown()
            server.server_close()
        for service in services.values():
            service.truncate()


def per_worker_counts(metrics_dir: Path, endpoint: str, scratch: Path) -> dict[int, float]:
    """Each worker's own count, read from its file alone (the collector of one file is that worker's view)."""
    counts = {}
    for file in metrics_dir.glob("counter_*.db"):
        alone = scratch / file.stem
        alone.mkdir(parents=True)
        shutil.copy(file, alone / file.name)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))
        value = sum(
            s.value
            for metric in registry.collect()
            for s in metric.samples
            if s.name == "portal_http_requests_total" and s.labels.get("endpoint") == endpoint
        )
        counts[int(file.stem.split("_")[1])] = value
    return counts


def test_two_gunicorn_workers_count_into_one_metrics_page(web, tmp_path):
    before = total(web.scrape(), "portal_http_requests_total", endpoint="health.healthz")
    sent = 0
    lock = threading.Lock()

    def hit(times: int) -> None:
        nonlocal sent
        for _ in range(times):
            with requests.Session() as fresh:  # a new connection each time: any worker may accept it
                assert fresh.get(f"{web.url}/healthz", timeout=10).status_code == 200
            with lock:
                sent += 1

    # Until both workers have answered some (the kernel hands each connection to whichever accepts first).
    deadline = time.monotonic() + 60
    while True:
        threads = [threading.Thread(target=hit, args=(10,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counts = per_worker_counts(web.metrics_dir, "health.healthz", tmp_path / str(sent))
        if len([c for c in counts.values() if c > 0]) >= 2 or time.monotonic() > deadline:
            break
    served = {pid: count for pid, count in counts.items() if count > 0}
    assert len(served) == 2, f"one worker answered everything: {counts}"

    scraped = web.scrape()  # answered by one worker, counting both
    assert total(scraped, "portal_http_requests_total", endpoint="health.healthz") - before == sent
    assert sum(served.values()) == before + sent
    assert total(scraped, "portal_http_request_seconds_count", endpoint="health.healthz", method="GET") >= sent
    print(f"[metrics] {sent} requests answered by workers {served}, one scrape counts {before + sent:.0f}")


def test_a_hire_shows_in_the_web_relay_and_worker_metrics(web, pipeline, services):
    workforce = services["workforce"]
    employer = workforce.headers(make_principal(member_id=str(uuid.uuid4()), roles=("admin",)))
    response = requests.post(f"{web.url}/api/workforce/employees", headers=employer, json=NIGHT_WORKER, timeout=30)
    assert response.status_code == 201, response.text

    web_page = web.scrape()
    assert total(web_page, "portal_http_requests_total", service="workforce", method="POST", status="201") >= 1

    def relay_scrape() -> str:
        return requests.get(pipeline["relay_url"], timeout=10).text

    wait_until(
        lambda: total(relay_scrape(), "portal_relay_published_total", service="workforce", event_type=HIRED) >= 1
    )
    relay_page = relay_scrape()
    assert total(relay_page, "portal_relay_confirm_seconds_count", service="workforce") >= 1
    assert total(relay_page, "portal_relay_batch_size_sum", service="workforce") >= 1
    assert total(relay_page, "portal_outbox_backlog", service="workforce") == 0
    assert total(relay_page, "portal_outbox_oldest_age_seconds", service="workforce") == 0

    def worker_page() -> str:
        return requests.get(pipeline["worker_url"], timeout=10).text

    wait_until(lambda: total(worker_page(), "portal_consumer_events_total", event_type=HIRED, outcome="applied") >= 1)
    page = worker_page()
    assert total(page, "portal_consumer_handler_seconds_count", service="scheduling", event_type=HIRED) >= 1
    assert total(page, "portal_queue_messages_ready", queue="scheduling.directory") == 0


def test_a_poison_message_shows_as_an_error_free_dead_letter_and_a_sampled_dead_letter_depth(pipeline):
    consumer = pipeline["consumer"]
    connection = broker.connect(consumer.broker_url, name="metrics-test")
    try:
        channel = connection.channel()
        channel.basic_publish(
            "",
            "scheduling.directory",
            b"{not json",
            pika.BasicProperties(message_id="poison-1", type=HIRED, delivery_mode=pika.DeliveryMode.Persistent),
        )
    finally:
        connection.close()

    def page() -> str:
        return requests.get(pipeline["worker_url"], timeout=10).text

    wait_until(lambda: total(page(), "portal_queue_dead_letters", queue="scheduling.directory") >= 1)
    scraped = page()
    assert total(scraped, "portal_consumer_events_total", event_type=HIRED, outcome="dead_lettered") >= 1
    # An invalid event is dead-lettered at once: not a handler error, no retry.
    assert total(scraped, "portal_consumer_errors_total", event_type=HIRED) == 0
    connection = broker.connect(consumer.broker_url, name="metrics-test")
    try:
        connection.channel().queue_purge("scheduling.directory.dlq")
    finally:
        connection.close()


# --- alert rules and dashboard ----------------------------------------------------------------------------
DURATION = re.compile(r"^\d+(ms|s|m|h|d|w|y)$")
METRIC = re.compile(r"\bportal_[a-z0-9_]+\b")


def alert_rules() -> list[dict]:
    document = yaml.safe_load(ALERTS.read_text("utf-8"))
    assert set(document) == {"groups"}
    rules = []
    for group in document["groups"]:
        assert set(group) <= {"name", "interval", "rules"} and group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule
            assert rule["alert"] and rule["expr"].strip()
            assert DURATION.match(rule.get("for", "0s")), rule
            assert rule["labels"]["severity"] in {"page", "ticket"}
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]
            assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
            rules.append(rule)
    return rules


def dashboard_expressions() -> list[str]:
    document = json.loads(DASHBOARD.read_text("utf-8"))
    assert document["uid"] and document["title"] and document["panels"]
    expressions = []
    for panel in document["panels"]:
        assert {"id", "type", "title", "gridPos"} <= set(panel)
        for target in panel.get("targets", []):
            assert target["refId"] and target["expr"].count("(") == target["expr"].count(")")
            expressions.append(target["expr"])
    ids = [panel["id"] for panel in document["panels"]]
    assert len(ids) == len(set(ids))
    return expressions


def test_the_alert_rules_watch_the_outbox_dead_letters_consumer_lag_and_5xx():
    rules = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    assert "portal_outbox_oldest_age_seconds" in rules["PortalOutboxOlderThanAMinute"]
    assert "> 60" in rules["PortalOutboxOlderThanAMinute"]
    assert "portal_queue_dead_letters" in rules["PortalDeadLettersPresent"]
    assert "deriv(portal_queue_messages_ready" in rules["PortalConsumerLagGrowing"]
    assert 'status=~"5.."' in rules["PortalHttp5xxRate"]


def test_every_metric_of_the_alert_rules_and_the_dashboard_is_exported_by_a_web_process_a_relay_or_a_worker(
    web, pipeline
):
    exported = set()
    for url in (f"{web.url}/metrics", pipeline["relay_url"], pipeline["worker_url"]):
        # A family is exported even before its first sample (a counter of errors that never happened yet).
        exported |= {name for family in families(requests.get(url, timeout=10).text) for name in series_names(family)}
    used = {
        name
        for expression in [rule["expr"] for rule in alert_rules()] + dashboard_expressions()
        for name in METRIC.findall(expression)
    }
    assert used, "no metric found in the rules and the dashboard"
    missing = sorted(used - exported)
    assert not missing, f"named in deploy/ but exported by no process: {missing}"
    print(f"[metrics] {len(used)} metric names in the alert rules and the dashboard, all exported")
