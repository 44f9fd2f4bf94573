"""The settings of a local run: generated keys kept in var/, SQLite or PostgreSQL URLs.

Every key is generated once into var/ (mode 600) and reused. Each service's passport private key stays in its own
file (var/passport-<service>.key), read by that service's processes only (`signing_key_path`); the shared
environment carries only the public keys (docs/decisions/0024-keys-by-purpose.md).
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import psycopg

from .services import ROOT, SERVICES


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("PORTAL_DATA_DIR", ROOT / "var")).resolve()


def _internal_key(directory: Path, environ: Mapping[str, str]) -> str:
    """Generated once per machine and reused, never a default shipped in the code."""
    if environ.get("PORTAL_INTERNAL_KEY"):
        return environ["PORTAL_INTERNAL_KEY"]
    path = directory / "internal.key"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _generated_secret(directory: Path, environ: Mapping[str, str], name: str, filename: str, make) -> str:
    """A secret from the environment, else generated once into var/ and reused (never shipped in the code)."""
    if environ.get(name):
        return environ[name]
    path = directory / filename
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _aes_key_setting() -> str:
    return "local1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def _ring_setting(key_id: str):  # type: ignore[no-untyped-def]
    return lambda: f"{key_id}:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def signing_key_path(env: Mapping[str, str], service: str) -> Path:
    return data_dir(env) / f"passport-{service}.key"


def signing_key(env: Mapping[str, str], service: str) -> str:
    """The service's passport private key, generated once into var/."""
    from portal_common.passport import new_signing_key

    path = signing_key_path(env, service)
    return _generated_secret(path.parent, {}, "", path.name, new_signing_key)


def passport_public_keys(env: Mapping[str, str]) -> str:
    from portal_common.passport import public_key_of

    return ",".join(f"{s.name}:{public_key_of(signing_key(env, s.name))}" for s in SERVICES)


def service_environment(env: Mapping[str, str], service: str) -> dict[str, str]:
    """The environment of one service's in-process app (migrations, demo data): the shared one plus its own key."""
    from portal_common.config import signing_key_variable

    return dict(env, **{signing_key_variable(service): signing_key(env, service)})


def ensure_postgres_databases(base_url: str, prefix: str) -> dict[str, str]:
    """One database per service on the configured server, created when missing."""
    admin = base_url.replace("postgresql+psycopg://", "postgresql://", 1).rstrip("/") + "/postgres"
    urls = {}
    with psycopg.connect(admin, autocommit=True) as conn:
        for service in SERVICES:
            name = f"{prefix}_{service.name}"
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
            urls[service.name] = f"{base_url.rstrip('/')}/{name}"
    return urls


def card_provider_port(env: Mapping[str, str]) -> int:
    """The local card payment provider listens beside the services (8190 with the default port base)."""
    return int(env.get("PORTAL_CARD_PROVIDER_PORT") or int(env.get("PORTAL_PORT_BASE", "8100")) + 90)


def stack_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment shared by every process of the local run (from `environ`, default os.environ)."""
    env = dict(os.environ if environ is None else environ)
    directory = data_dir(env)
    env["PORTAL_DATA_DIR"] = str(directory)
    env["PORTAL_INTERNAL_KEY"] = _internal_key(directory, env)
    # Passports: every process gets the public keys; a private key only reaches its own service's processes.
    for name in [name for name in env if name.endswith("_PASSPORT_SIGNING_KEY")]:
        del env[name]
    env["PORTAL_PASSPORT_PUBLIC_KEYS"] = passport_public_keys(env)
    # One key ring per purpose (CSRF, IBAN, TOTP secrets, e-mail links, bank files), none derived from the
    # internal key.
    for name, filename, key_id in (
        ("PORTAL_CSRF_KEYS", "csrf.keys", "csrf1"),
        ("MEMBERS_IBAN_KEYS", "members-iban.keys", "iban1"),
        ("IDENTITY_TOTP_KEYS", "identity-totp.keys", "totp1"),
        ("IDENTITY_EMAIL_LINK_KEYS", "identity-email-link.keys", "mail1"),
        ("BILLING_BANK_FILE_KEYS", "billing-bank-file.keys", "bank1"),
    ):
        env[name] = _generated_secret(directory, env, name, filename, _ring_setting(key_id))
    env["WORKFORCE_NIR_ENCRYPTION_KEY"] = _generated_secret(
        directory, env, "WORKFORCE_NIR_ENCRYPTION_KEY", "workforce-nir-encryption.key", _aes_key_setting
    )
    env["WORKFORCE_NIR_HASH_KEY"] = _generated_secret(
        directory, env, "WORKFORCE_NIR_HASH_KEY", "workforce-nir-hash.key", lambda: secrets.token_urlsafe(48)
    )
    # Shared by billing and the local card payment provider (portal_stack.payment_provider).
    env["BILLING_CARD_SIGNING_KEY"] = _generated_secret(
        directory, env, "BILLING_CARD_SIGNING_KEY", "billing-card-signing.key", lambda: secrets.token_urlsafe(48)
    )
    env.setdefault("BILLING_CARD_PROVIDER_URL", f"http://127.0.0.1:{card_provider_port(env)}")
    # The demo accounts (staff, accounting firm) sign in without a second factor; production keeps it mandatory.
    env.setdefault("IDENTITY_MFA_MANDATORY", "false")
    # The demo centre is in Mulhouse: Alsace-Moselle's public holidays apply to its slots and cancellations.
    env.setdefault("SCHEDULING_HOLIDAY_CALENDAR", "alsace-moselle")
    port = int(env.get("PORTAL_GATEWAY_PORT", "8080"))
    host = env.get("PORTAL_GATEWAY_HOST", "127.0.0.1")
    env.setdefault("PORTAL_PUBLIC_URL", f"http://{host}:{port}")
    env["PORTAL_GATEWAY_PORT"] = str(port)
    env["PORTAL_GATEWAY_HOST"] = host
    for service in SERVICES:
        env.setdefault(f"PORTAL_{service.name.upper()}_URL", f"http://127.0.0.1:{service.port(env)}")
    postgres = env.get("PORTAL_POSTGRES_URL")  # e.g. postgresql+psycopg://postgres@127.0.0.1:5432
    if postgres:
        for service, url in ensure_postgres_databases(postgres, env.get("PORTAL_DB_PREFIX", "portal")).items():
            env.setdefault(f"{service.upper()}_DATABASE_URL", url)
    return env
