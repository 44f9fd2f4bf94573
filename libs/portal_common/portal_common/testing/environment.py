"""Provision what integration tests run against: the local PostgreSQL and RabbitMQ.

One database per service and one vhost per test run, dropped at the end. When no local
service answers and Docker exists, testcontainers starts one instead (a laptop fallback).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import psycopg
from flask import Flask
from sqlalchemy import text

from .. import passport
from ..config import SERVICE_NAMES, signing_key_variable
from ..keyring import new_key_setting
from ..messaging.envelope import Envelope
from ..migrations import upgrade
from ..passport import Principal, Signer

TEST_INTERNAL_KEY = "test-internal-key-" + "x" * 32
# Passport keys generated for this test process: identity's signs users, each service's signs its own calls.
TEST_PASSPORT_KEYS = {name: passport.new_signing_key() for name in SERVICE_NAMES}
TEST_PASSPORT_PUBLIC_KEYS = ",".join(
    f"{name}:{passport.public_key_of(key)}" for name, key in TEST_PASSPORT_KEYS.items()
)
TEST_CSRF_KEYS = new_key_setting("csrf1")
DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_HOST = "127.0.0.1:5672"
TEST_RETRY_DELAY_MS = 300  # every process of a test run must declare the retry queues alike


def make_principal(
    *,
    user_id: str | None = None,
    display_name: str = "Camille Martin",
    member_id: str | None = None,
    member_name: str | None = "Entreprise test",
    member_number: str | None = "1000001",
    roles: tuple[str, ...] = (),
    staff_roles: tuple[str, ...] = (),
    grants: tuple[str, ...] = (),
    member_count: int = 1,
    session_ref: str | None = None,
) -> Principal:
    return Principal(
        user_id=user_id or str(uuid.uuid4()),
        display_name=display_name,
        session_ref=session_ref or secrets.token_hex(16),
        member_id=member_id,
        member_name=member_name if member_id else None,
        member_number=member_number if member_id else None,
        roles=frozenset(roles),
        staff_roles=frozenset(staff_roles),
        grants=frozenset(grants),
        member_count=member_count if member_id else 0,
    )


def signer_of(name: str) -> Signer:
    """The test run's passport signer of one service (`identity` signs users)."""
    return Signer(name, passport.parse_signing_key(TEST_PASSPORT_KEYS[name]))


def act_as_headers(principal: Principal) -> dict[str, str]:
    """The headers the gateway would send for this principal (a `service:X` principal is signed by X)."""
    user_id = principal.user_id
    signer = user_id.removeprefix(passport.SERVICE_PREFIX) if user_id.startswith(passport.SERVICE_PREFIX) else None
    return {passport.HEADER: signer_of(signer or passport.USER_SIGNER).sign(principal)}


def _pg_reachable(admin_dsn: str) -> bool:
    try:
        with psycopg.connect(admin_dsn, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _docker_available() -> bool:
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    )


@dataclass
class ServiceUnderTest:
    name: str
    app: Flask
    database_url: str

    @property
    def portal(self) -> Any:
        return self.app.extensions["portal"]

    def client(self) -> Any:
        return self.app.test_client()

    def headers(self, principal: Principal) -> dict[str, str]:
        return act_as_headers(principal)

    def events(self) -> list[Envelope]:
        """Every event this service recorded in its outbox, oldest first."""
        with self.portal.db.session_factory() as session:
            found: list[Envelope] = self.portal.outbox.all_events(session)
            return found

    def deliver_mail(self) -> int:
        """What the relay process does: send the queued e-mails now (to the run's SMTP server)."""
        from ..mail import MailSender

        settings = self.portal.settings
        table = self.portal.outbox.table.metadata.tables["mail_outbox"]
        sender = MailSender(
            self.portal.db, table, host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_sender
        )
        return sender.send_batch()

    def truncate(self) -> None:
        """Empty every table (not the Alembic version), so each test starts clean."""
        metadata = self.portal.outbox.table.metadata
        names = [t.name for t in reversed(metadata.sorted_tables)]
        with self.portal.db.engine.begin() as conn:
            if self.portal.db.is_postgres:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
            else:
                for name in names:
                    conn.execute(text(f'DELETE FROM "{name}"'))


def add_vhost(vhost: str) -> None:
    """A vhost on the local broker, open to the guest user."""
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True, timeout=60)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
        timeout=60,
    )


@dataclass
class PortalTestEnvironment:
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    pg_admin_dsn: str = field(default_factory=lambda: os.environ.get("PORTAL_TEST_PG_ADMIN", DEFAULT_PG_ADMIN))
    internal_key: str = TEST_INTERNAL_KEY
    _databases: list[str] = field(default_factory=list)
    _vhosts: list[str] = field(default_factory=list)
    _containers: list[Any] = field(default_factory=list)
    _broker_url: str | None = None
    _services: dict[str, ServiceUnderTest] = field(default_factory=dict)
    _smtp: Any = None

    @property
    def smtp(self) -> Any:
        """The run's real SMTP server (aiosmtpd); every service of the run sends to it."""
        if self._smtp is None:
            from .smtp import SmtpServer

            self._smtp = SmtpServer().start()
        return self._smtp

    # --- PostgreSQL -------------------------------------------------------------
    def _ensure_postgres(self) -> None:
        if _pg_reachable(self.pg_admin_dsn):
            return
        if not _docker_available():
            raise RuntimeError(f"PostgreSQL is not reachable at {self.pg_admin_dsn} and Docker is not available")
        from testcontainers.postgres import PostgresContainer  # laptop fallback only

        container = PostgresContainer("postgres:15", driver=None).start()
        self._containers.append(container)
        self.pg_admin_dsn = container.get_connection_url()

    def database_url(self, service: str) -> str:
        """A fresh PostgreSQL database for this run and service (SQLAlchemy URL)."""
        self._ensure_postgres()
        name = f"portal_{self.run_id}_{service}"
        with psycopg.connect(self.pg_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        base = self.pg_admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        return f"{base}/{name}"

    # --- RabbitMQ ---------------------------------------------------------------
    def broker_url(self) -> str:
        if self._broker_url:
            return self._broker_url
        explicit = os.environ.get("PORTAL_TEST_BROKER_URL")
        if explicit:
            self._broker_url = explicit
            return explicit
        if shutil.which("rabbitmqctl"):
            self._broker_url = self.new_vhost("main")
            return self._broker_url
        if _docker_available():
            from testcontainers.rabbitmq import RabbitMqContainer  # laptop fallback only

            container = RabbitMqContainer("rabbitmq:3.13").start()
            self._containers.append(container)
            params = container.get_connection_params()
            self._broker_url = f"amqp://guest:guest@{params.host}:{params.port}/%2F"
            return self._broker_url
        raise RuntimeError("RabbitMQ is not reachable: no rabbitmqctl and no Docker")

    def new_vhost(self, purpose: str) -> str:
        """An extra vhost of this run (e.g. for a whole stack started beside the in-process tests)."""
        vhost = f"portal-test-{self.run_id}-{purpose}"
        add_vhost(vhost)
        self._vhosts.append(vhost)
        return f"amqp://guest:guest@{DEFAULT_AMQP_HOST}/{quote(vhost, safe='')}"

    def drop_vhost(self, broker_url: str) -> None:
        """Delete a vhost of this run now: a whole stack's quorum queues must not outlive it until the run ends."""
        vhost = unquote(broker_url.rsplit("/", 1)[1])
        if vhost in self._vhosts:
            self._vhosts.remove(vhost)
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)

    @contextlib.contextmanager
    def scratch_vhost(self, purpose: str) -> Iterator[str]:
        """A vhost for one fixture, deleted when it ends."""
        url = self.new_vhost(purpose)
        try:
            yield url
        finally:
            self.drop_vhost(url)

    # --- services -----------------------------------------------------------------
    def environ(self, service: str, database_url: str, **extra: str) -> dict[str, str]:
        env = {
            "PORTAL_ENV": "test",
            "PORTAL_INTERNAL_KEY": self.internal_key,
            "PORTAL_PASSPORT_PUBLIC_KEYS": TEST_PASSPORT_PUBLIC_KEYS,
            signing_key_variable(service): TEST_PASSPORT_KEYS[service],
            "PORTAL_CSRF_KEYS": TEST_CSRF_KEYS,
            f"{service.upper()}_DATABASE_URL": database_url,
            "PORTAL_BROKER_URL": self.broker_url(),
            "PORTAL_RETRY_DELAY_MS": str(TEST_RETRY_DELAY_MS),
            "PORTAL_MAX_ATTEMPTS": "3",
            "PORTAL_LOG_LEVEL": "WARNING",
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(self.smtp.port),
            # Test-only keys of the workforce NIR vault (AES-256 key in base64url, and the blind-index key).
            "WORKFORCE_NIR_ENCRYPTION_KEY": "test1:" + "dGVzdC1uaXIta2V5LW9mLTMyLWJ5dGVzLWZvci1hZXM",
            "WORKFORCE_NIR_HASH_KEY": "test-nir-hash-key-" + "y" * 32,
        }
        env.update(extra)
        return env

    def service(self, name: str, create_app: Callable[..., Flask], service_dir: Path, **extra: str) -> ServiceUnderTest:
        """One migrated app per service, settings and run, shared by every test that asks for the same.

        A service's own tests may add settings (`extra`: billing's card provider…); cross-service tests build it
        without them. Each configuration gets its own app and database, so whichever runs first, each test
        gets the settings it asked for.
        """
        key = name + "".join(f"|{k}={v}" for k, v in sorted(extra.items()))
        if key in self._services:
            return self._services[key]
        variant = f"{name}_{hashlib.sha256(key.encode()).hexdigest()[:8]}" if extra else name
        url = self.database_url(variant)
        upgrade(service_dir, url)
        app = create_app(environ=self.environ(name, url, **extra))
        app.config["TESTING"] = True
        self._services[key] = ServiceUnderTest(name=name, app=app, database_url=url)
        return self._services[key]

    def close(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
        for service in self._services.values():
            service.portal.db.dispose()
        for vhost in self._vhosts:
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)
        if self._databases and _pg_reachable(self.pg_admin_dsn):
            with psycopg.connect(self.pg_admin_dsn, autocommit=True) as conn:
                for name in self._databases:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for container in self._containers:
            container.stop()
