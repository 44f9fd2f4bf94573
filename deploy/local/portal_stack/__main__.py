"""`python -m portal_stack {run,migrate,demo,procfile,gateway}` — the README's first command ends here."""

from __future__ import annotations

import argparse
import importlib
import os
import shlex
import shutil
import sys
from pathlib import Path

from . import demo_data
from .environment import card_provider_port, data_dir, service_environment, signing_key_path, stack_environment
from .services import ROOT, SERVICES
from .supervisor import Program, supervisor_command

sys.path.insert(0, str(ROOT))  # the gateway renderer lives in the repository, not in a package


def _settings(service: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"{service}.config").Settings.from_env(env)


def migrate(env: dict[str, str]) -> None:
    from portal_common.migrations import upgrade

    for service in SERVICES:
        upgrade(service.directory, _settings(service.name, env).database_url)
        print(f"  migrations à jour : {service.name}")


def load_demo(env: dict[str, str]) -> None:
    dataset = demo_data.build()
    for name in ("members", "identity", "workforce", "scheduling", "billing"):
        service = next(s for s in SERVICES if s.name == name)
        app = service.create_app()(environ=service_environment(env, name))
        with app.app_context():
            service.demo_loader()(app.extensions["portal"], dataset)
        app.extensions["portal"].db.dispose()
        print(f"  données de démonstration chargées : {name}")


def render_gateway(env: dict[str, str], *, daemon: bool = False) -> Path:
    from gateway import render

    prefix = data_dir(env) / "nginx"
    upstreams = {s.name: f"127.0.0.1:{s.port(env)}" for s in SERVICES}
    return render.write_config(
        prefix,
        listen_host=env["PORTAL_GATEWAY_HOST"],
        listen_port=int(env["PORTAL_GATEWAY_PORT"]),
        upstreams=upstreams,
        daemon=daemon,
        login_rate=env.get("PORTAL_LOGIN_RATE", render.LOGIN_RATE),
        login_burst=int(env.get("PORTAL_LOGIN_BURST", render.LOGIN_BURST)),
    )


def programs(env: dict[str, str], nginx_conf: Path) -> list[Program]:
    """Every process of the local stack, once: the supervisor starts these, the Procfile (honcho) renders them."""
    python = sys.executable
    gunicorn = str(Path(python).with_name("gunicorn"))
    found = []
    # Lean by default (portal_common.embedded): each web process also runs its relay and consumer, except billing's
    # consumers, which stay processes of their own to scale apart. PORTAL_LOCAL_PROCESSES=separate gives each
    # relay and worker its own process, as in Kubernetes.
    separate = env.get("PORTAL_LOCAL_PROCESSES", "lean") == "separate"
    for s in SERVICES:
        service_environment(env, s.name)  # its passport key exists before any process reads it
        # Its own passport key, read from var/ when the process starts (never written into a command line).
        own_key = {f"{s.name.upper()}_PASSPORT_SIGNING_KEY": signing_key_path(env, s.name)}
        # Identity answers the gateway's session check on every request: it gets two processes.
        workers = env.get("PORTAL_IDENTITY_WEB_WORKERS", "2") if s.name == "identity" else "1"
        web_env = {
            "PORTAL_WEB_BIND": f"127.0.0.1:{s.port(env)}",
            "PORTAL_WEB_WORKERS": workers,
            "PORTAL_WEB_THREADS": "8",
            "PORTAL_WEB_GRACEFUL_TIMEOUT": "5",
            "PORTAL_WEB_ACCESS_LOG": "off",
        }
        own_consumers = s.name == "billing" or separate
        if not separate:
            web_env["PORTAL_WEB_BACKGROUND"] = "relay" if own_consumers or not s.consumes else "relay,worker"
        found.append(
            Program(
                f"{s.name}-web",
                [gunicorn, "-c", "python:portal_common.gunicorn_conf", f"{s.name}.app:create_app()"],
                env=web_env,
                env_files=own_key,
            )
        )
        if separate:
            found.append(
                Program(f"{s.name}-relay", [python, "-m", "portal_common.messaging.relay", "--service", s.name])
            )
        if s.consumes and own_consumers:
            instances = int(env.get("PORTAL_BILLING_WORKERS", "2")) if s.name == "billing" else 1
            found.append(
                Program(f"{s.name}-worker", [python, "-m", f"{s.name}.worker"], env_files=own_key, instances=instances)
            )
    from gateway import render

    found.append(Program("gateway", render.nginx_command(nginx_conf.parent)))
    if env.get("PORTAL_CARD_PROVIDER", "1") == "1":  # the local card payment provider (billing's test double)
        found.append(
            Program("payment", [python, "-m", "portal_stack.payment_provider", "--port", str(card_provider_port(env))])
        )
    if env.get("PORTAL_MAIL_CATCHER", "1") == "1":
        found.append(
            Program(
                "mail",
                [
                    python,
                    "-m",
                    "portal_stack.mailcatcher",
                    "--folder",
                    str(data_dir(env) / "mail"),
                    "--port",
                    env.get("PORTAL_SMTP_PORT", "1025"),
                ],
            )
        )
    return found


def procfile(env: dict[str, str], nginx_conf: Path) -> Path:
    """The same programs for honcho (kept to compare process models: bench/process_memory.py)."""
    lines = []
    for program in programs(env, nginx_conf):
        settings = [f'{name}="$(cat {shlex.quote(str(path))})"' for name, path in program.env_files.items()]
        settings += [f"{name}={value}" for name, value in program.env.items()]
        prefix = f"env {' '.join(settings)} " if settings else ""
        lines.append(f"{program.name}: {prefix}{shlex.join(program.argv)}")
    path = data_dir(env) / "Procfile"
    path.write_text("\n".join(lines) + "\n")
    return path


def banner(env: dict[str, str]) -> None:
    url = env["PORTAL_PUBLIC_URL"]
    print("\n  Espace adhérent prêt : " + url)
    print("  Comptes de démonstration (identifiant / mot de passe) :")
    for label, login, password in demo_data.LOGINS:
        print(f"    - {label:<32} {login:<32} {password}")
    if env.get("PORTAL_MAIL_CATCHER", "1") == "1":
        print(f"  Les courriels envoyés arrivent dans {data_dir(env) / 'mail'} (fichiers .eml).")
    print("  Ctrl-C arrête tout.\n", flush=True)


def prepare(env: dict[str, str]) -> Path:
    print("Préparation de l'espace adhérent…")
    migrate(env)
    load_demo(env)
    nginx_conf = render_gateway(env)
    return procfile(env, nginx_conf)


def honcho_command(env: dict[str, str], procfile_path: Path) -> list[str]:
    workers = env.get("PORTAL_BILLING_WORKERS", "2")
    honcho = str(Path(sys.executable).with_name("honcho"))
    return [
        honcho,
        "start",
        "-f",
        str(procfile_path),
        "-d",
        str(ROOT),
        "-c",
        f"billing-worker={workers}",
        "--no-colour",
    ]


def run(env: dict[str, str]) -> None:
    prepare(env)
    banner(env)
    command = supervisor_command(env)
    os.execvpe(command[0], command, env)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="portal_stack", description=__doc__)
    parser.add_argument("command", choices=["run", "prepare", "migrate", "demo", "gateway"])
    args = parser.parse_args(argv)
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists() and args.command in {"run", "prepare"}:
        sys.exit("nginx est introuvable : lancez `make install` (apt-get install nginx) puis recommencez.")
    env = stack_environment()
    if args.command == "run":
        run(env)
    elif args.command == "prepare":
        prepare(env)
        banner(env)
    elif args.command == "migrate":
        migrate(env)
    elif args.command == "demo":
        load_demo(env)
    else:
        print(render_gateway(env))


if __name__ == "__main__":
    main()
