"""Render the gateway's nginx config from one template and run nginx with a private prefix."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

GATEWAY_DIR = Path(__file__).resolve().parent
REPO_DIR = GATEWAY_DIR.parent
TEMPLATE_NAME = "nginx.conf.template"
ROUTES_FILE = GATEWAY_DIR / "routes.json"
CONF_DIR = GATEWAY_DIR / "conf"
DEFAULT_STATIC_DIR = GATEWAY_DIR / "static"
COMPOSE_CONFIG = REPO_DIR / "deploy" / "compose" / "nginx.conf"
K8S_CONFIGMAP = REPO_DIR / "deploy" / "k8s" / "gateway-configmap.yaml"

# Bodies of the JSON errors nginx answers itself under /api/ (code -> status, French message).
API_ERRORS: dict[int, tuple[str, str]] = {
    401: ("Unauthorized", "Authentification requise."),
    # An API token used outside its scopes (identity's session check answers 403).
    403: ("Forbidden", "Accès refusé : opération non autorisée pour ce jeton."),
    404: ("Not Found", "Ressource introuvable."),
    429: ("Too Many Requests", "Trop de requêtes, réessayez dans une minute."),
    500: ("Internal Server Error", "Service momentanément indisponible."),
    502: ("Bad Gateway", "Service momentanément indisponible."),
    503: ("Service Unavailable", "Service momentanément indisponible."),
    504: ("Gateway Timeout", "Service momentanément indisponible."),
}

# Where docker-compose.yml and the Kubernetes gateway Deployment mount things; the committed
# deploy/compose/nginx.conf and deploy/k8s/gateway-configmap.yaml are rendered with these.
COMPOSE_PARAMETERS: dict[str, Any] = {
    "listen_host": "0.0.0.0",
    "listen_port": 8080,
    # Exists in the nginx image, so nginx can create its temp directories there.
    "prefix": "/var/cache/nginx",
    "static_dir": "/srv/portal/static",
    "swagger_dir": "/srv/portal/swagger-ui",
    # A container's main process must stay in the foreground; its logs go to stdout/stderr.
    "daemon": False,
    "access_log": "/dev/stdout",
    "error_log": "/dev/stderr",
}

# The per-address ceiling on form posts to public pages (sign-in, codes, reset, first account), docs/security.md
# AUTH-21. Sized for an office behind one address at 9 a.m.: 50 people each posting a password then a second
# factor pass at once (the burst), then 2 a second. Guessing at one account is limited by identity's counters.
LOGIN_RATE = "120r/m"
LOGIN_BURST = 100
# Requests in flight at the gateway beyond which it answers 503 with Retry-After at once (docs/architecture.md
# « Overload »): on two cores a service clears ~100-200 requests/s, so 256 waiting is already 1-2 s of queue.
MAX_IN_FLIGHT = 256

_ADDRESS = re.compile(r"^[A-Za-z0-9.\-]+:\d{1,5}$")
_HOST = re.compile(r"^[A-Za-z0-9.\-:*]+$")
_RATE = re.compile(r"^\d+r/[sm]$")
# Rendered inside double quotes or bare: these characters would change the config's meaning.
_UNSAFE_PATH_CHARS = set("\"'$;{}\\\n\r\t ")


def load_routes() -> dict[str, dict[str, Any]]:
    """The routing table: service name -> {"port", "pages", "public_pages"} and optionally "home_pages" (pages
    composed from the services' parts), "fragments" (those parts, exact paths) and "cached_fragments" (path
    prefixes of parts the same for everyone, which the gateway caches and serves only to its includes).

    A page entry is a path prefix, except "/" which means the root path only.
    """
    services: dict[str, dict[str, Any]] = json.loads(ROUTES_FILE.read_text("utf-8"))["services"]
    pages = [
        path
        for service in services.values()
        for path in (*service["pages"], *service.get("fragments", ()), *service.get("cached_fragments", ()))
    ]
    # A page path belongs to exactly one service, and nginx refuses duplicate locations anyway.
    if len(pages) != len(set(pages)):
        raise ValueError(f"{ROUTES_FILE}: a page prefix is listed twice")
    for name, service in services.items():
        if not set(service["public_pages"]) <= set(service["pages"]):
            raise ValueError(f"{ROUTES_FILE}: {name} has public pages that are not among its pages")
        if not set(service.get("home_pages", ())) <= set(service["pages"]) - set(service["public_pages"]):
            raise ValueError(f"{ROUTES_FILE}: {name} has home pages that are not among its private pages")
    return services


def default_upstreams(host: str = "127.0.0.1") -> dict[str, str]:
    """Each service at `host` on its default port from routes.json."""
    return {name: f"{host}:{service['port']}" for name, service in load_routes().items()}


def default_swagger_dir() -> Path | None:
    """The swagger-ui dist directory shipped by the swagger-ui-bundle package, if installed."""
    try:
        import swagger_ui_bundle  # type: ignore[import-untyped]
    except ImportError:
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)


def _safe_path(value: str | Path, what: str) -> str:
    text = str(value)
    if not text or _UNSAFE_PATH_CHARS & set(text):
        raise ValueError(f"{what} {text!r} cannot be written into an nginx config")
    return text


def _listen(host: str, port: int) -> str:
    if not _HOST.match(host) or not 0 < port < 65536:
        raise ValueError(f"invalid listen address {host}:{port}")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def render(
    listen_host: str,
    listen_port: int,
    prefix: str | Path,
    upstreams: Mapping[str, str],
    static_dir: str | Path = DEFAULT_STATIC_DIR,
    swagger_dir: str | Path | None = None,
    daemon: bool = True,
    *,
    worker_processes: int = 2,
    access_log: str | None = None,
    error_log: str | None = None,
    login_rate: str = LOGIN_RATE,
    login_burst: int = LOGIN_BURST,
    max_in_flight: int = MAX_IN_FLIGHT,
) -> str:
    """The nginx.conf text; `upstreams` maps every service of routes.json to "host:port"."""
    services = load_routes()
    if set(upstreams) != set(services):
        raise ValueError(f"upstreams must name exactly the services {sorted(services)}")
    for name, address in upstreams.items():
        if not _ADDRESS.match(address):
            raise ValueError(f"upstream {name}: expected host:port, got {address!r}")
    if not _RATE.match(login_rate) or login_burst < 0 or worker_processes < 1 or max_in_flight < 1:
        raise ValueError("invalid login_rate, login_burst, worker_processes or max_in_flight")
    prefix_text = _safe_path(prefix, "prefix")
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(GATEWAY_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return environment.get_template(TEMPLATE_NAME).render(
        listen=_listen(listen_host, listen_port),
        prefix=prefix_text,
        upstreams=dict(sorted(upstreams.items(), key=lambda item: list(services).index(item[0]))),
        services=services,
        static_dir=_safe_path(static_dir, "static_dir").rstrip("/"),
        swagger_dir=_safe_path(swagger_dir, "swagger_dir").rstrip("/") if swagger_dir else None,
        daemon=daemon,
        worker_processes=worker_processes,
        access_log=_safe_path(access_log or f"{prefix_text}/access.log", "access_log"),
        error_log=_safe_path(error_log or f"{prefix_text}/error.log", "error_log"),
        login_rate=login_rate,
        login_burst=login_burst,
        max_in_flight=max_in_flight,
        api_error_bodies=API_ERRORS,
    )


def render_compose() -> str:
    """The config of the containerised gateway: services reached as `<service>-web:8000`."""
    parameters = dict(COMPOSE_PARAMETERS)
    upstreams = {name: f"{name}-web:8000" for name in load_routes()}
    return render(
        parameters.pop("listen_host"), parameters.pop("listen_port"), parameters.pop("prefix"), upstreams, **parameters
    )


def render_k8s_configmap() -> str:
    """The gateway ConfigMap: the containerised config and its includes, as one YAML document."""
    files = {"nginx.conf": render_compose()}
    files.update({path.name: path.read_text("utf-8") for path in sorted(CONF_DIR.glob("*.conf"))})
    lines = [
        "# GENERATED by `python gateway/render.py --deploy`: edit gateway/, then render again.",
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: gateway-config",
        "  namespace: portal",
        "data:",
    ]
    for name, text in files.items():
        lines.append(f"  {name}: |")
        lines.extend(f"    {line}" if line else "" for line in text.splitlines())
    return "\n".join(lines) + "\n"


def write_deploy_files() -> list[Path]:
    """Regenerate the committed deployment copies of the gateway config."""
    COMPOSE_CONFIG.write_text(render_compose(), "utf-8")
    K8S_CONFIGMAP.write_text(render_k8s_configmap(), "utf-8")
    return [COMPOSE_CONFIG, K8S_CONFIGMAP]


def write_config(
    prefix: str | Path,
    *,
    listen_host: str = "127.0.0.1",
    listen_port: int = 8080,
    upstreams: Mapping[str, str] | None = None,
    static_dir: str | Path = DEFAULT_STATIC_DIR,
    swagger_dir: str | Path | None = None,
    daemon: bool = True,
    **options: Any,
) -> Path:
    """Write `<prefix>/nginx.conf` and its includes; return the config path.

    `swagger_dir` defaults to the installed swagger-ui-bundle (skipped with a warning if absent).
    It is copied into the prefix because it usually lives under /root, which nginx's workers
    (user nobody when the master runs as root) cannot read.
    """
    prefix_dir = Path(prefix).resolve()
    prefix_dir.mkdir(parents=True, exist_ok=True)
    # Workers need to traverse the prefix to use the temp directories nginx creates in it.
    prefix_dir.chmod(0o755)
    for include in CONF_DIR.glob("*.conf"):
        shutil.copyfile(include, prefix_dir / include.name)
    source = Path(swagger_dir) if swagger_dir else default_swagger_dir()
    served_swagger: Path | None = None
    if source is None:
        warnings.warn("swagger-ui-bundle is not installed: /static/swagger-ui/ will not be served", stacklevel=2)
    else:
        served_swagger = prefix_dir / "swagger-ui"
        shutil.copytree(source, served_swagger, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.map", "*.j2"))
    text = render(
        listen_host,
        listen_port,
        prefix_dir,
        upstreams or default_upstreams(),
        Path(static_dir).resolve(),
        served_swagger,
        daemon,
        **options,
    )
    config = prefix_dir / "nginx.conf"
    config.write_text(text, "utf-8")
    return config


def nginx_binary() -> str:
    """Path of the nginx executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise FileNotFoundError("nginx is not installed (apt-get install nginx)")
    return found


def nginx_command(prefix: str | Path) -> list[str]:
    """The command running nginx on `<prefix>/nginx.conf` (for process managers: daemon off)."""
    prefix_dir = Path(prefix).resolve()
    return [nginx_binary(), "-p", f"{prefix_dir}/", "-c", str(prefix_dir / "nginx.conf")]


def _run(prefix: str | Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*nginx_command(prefix), *arguments], capture_output=True, text=True, timeout=30, check=False)


def test_config(prefix: str | Path) -> str:
    """Run `nginx -t` on the rendered config; raise RuntimeError with nginx's output if invalid."""
    result = _run(prefix, "-t")
    if result.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{result.stderr}")
    return result.stderr


# pytest would otherwise collect test_config as a test wherever it is imported.
test_config.__test__ = False  # type: ignore[attr-defined]


def _master_pid(prefix: str | Path) -> int | None:
    """The running master's pid, or None (`nginx -t` leaves an empty pid file behind)."""
    pid_file = Path(prefix).resolve() / "nginx.pid"
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start(prefix: str | Path, timeout: float = 10.0) -> int:
    """Start nginx in the background (the config must say `daemon on`); return the master pid."""
    config = Path(prefix).resolve() / "nginx.conf"
    if "\ndaemon on;" not in config.read_text("utf-8"):
        raise ValueError(
            "start() needs a config rendered with daemon=True; run nginx_command(prefix) in the foreground instead"
        )
    result = _run(prefix)
    if result.returncode != 0:
        raise RuntimeError(f"nginx did not start:\n{result.stderr}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = _master_pid(prefix)
        if pid is not None:
            return pid
        time.sleep(0.05)
    raise RuntimeError("nginx started but wrote no pid file")


def stop(prefix: str | Path, timeout: float = 10.0) -> None:
    """Stop nginx gracefully (`-s quit`), then fast (`-s stop`) if it lingers; no-op if not running."""
    pid = _master_pid(prefix)
    if pid is None:
        return
    for signal_name in ("quit", "stop"):
        _run(prefix, "-s", signal_name)
        deadline = time.monotonic() + timeout / 2
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.05)
    raise RuntimeError(f"nginx master {pid} did not stop")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prefix", default="var/nginx", help="directory for nginx.conf, pid, logs")
    parser.add_argument("--host", default=os.environ.get("PORTAL_GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORTAL_GATEWAY_PORT", "8080")))
    parser.add_argument(
        "--upstream",
        action="append",
        default=[],
        metavar="SERVICE=HOST:PORT",
        help="override one service's upstream (repeatable)",
    )
    parser.add_argument("--static-dir", default=str(DEFAULT_STATIC_DIR))
    parser.add_argument("--foreground", action="store_true", help="render with daemon off")
    parser.add_argument(
        "--deploy",
        action="store_true",
        help="regenerate deploy/compose/nginx.conf and deploy/k8s/gateway-configmap.yaml",
    )
    arguments = parser.parse_args(argv)
    if arguments.deploy:
        for path in write_deploy_files():
            print(path.relative_to(REPO_DIR))
        return 0
    upstreams = default_upstreams()
    for override in arguments.upstream:
        name, _, address = override.partition("=")
        if name not in upstreams:
            parser.error(f"unknown service {name!r}")
        upstreams[name] = address
    config = write_config(
        arguments.prefix,
        listen_host=arguments.host,
        listen_port=arguments.port,
        upstreams=upstreams,
        static_dir=arguments.static_dir,
        daemon=not arguments.foreground,
    )
    print(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
