"""The one gunicorn configuration of every service's web process: `gunicorn -c python:portal_common.gunicorn_conf`.

Threads rather than processes: a request mostly waits on PostgreSQL or identity, and each process keeps its own
connection pool. What differs between the local stack, Compose and Kubernetes comes from the environment.
"""

from __future__ import annotations

import os

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
