"""The one gunicorn configuration of every service's web process: `gunicorn -c python:portal_common.gunicorn_conf`.

Threads rather than processes: a request mostly waits on PostgreSQL or identity, and each process keeps its own
connection pool. What differs between the local stack, Compose and Kubernetes comes from the environment.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

# Prometheus' client in multiprocess mode: each worker writes its counters and histograms to memory-mapped files
# in this directory and `/metrics` (served by whichever worker the scrape reaches) adds up every worker's files.
# Set before any worker imports prometheus_client (the mode is chosen at import). Kubernetes mounts an emptyDir.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")

bind = os.environ.get("PORTAL_WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("PORTAL_WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("PORTAL_WEB_THREADS", "4"))
# Kubernetes sends SIGTERM then waits 30 s: requests in flight finish before that.
graceful_timeout = int(os.environ.get("PORTAL_WEB_GRACEFUL_TIMEOUT", "25"))
# No runtime control socket: nothing in a container or on a shared machine should be able to reconfigure it.
control_socket_disable = True
# JSON lines of the application carry the request id; the access log is for containers' stdout only.
accesslog = None if os.environ.get("PORTAL_WEB_ACCESS_LOG", "-") == "off" else "-"


def on_starting(_server: Any) -> None:
    """Files left by a previous master (a restarted container keeps its emptyDir) would be counted again."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.iterdir():
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()


def child_exit(_server: Any, worker: Any) -> None:
    """A dead worker's live gauges go; its counters stay in the sum (a counter never goes back)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def post_worker_init(worker: Any) -> None:
    """`PORTAL_WEB_BACKGROUND=relay,worker`: the local stack's web process also runs its relay and consumer
    (portal_common.embedded); unset everywhere else."""
    parts = os.environ.get("PORTAL_WEB_BACKGROUND")
    if parts:
        from portal_common.embedded import parse, start_background

        worker.portal_stop_background = start_background(worker.wsgi, parse(parts))


def worker_exit(_server: Any, worker: Any) -> None:
    stop = getattr(worker, "portal_stop_background", None)
    if stop is not None:
        stop()
