"""Typed settings read from the environment and validated at start-up."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, overload

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import passport
from .keyring import KeyRing, derived_ring, parse_key_ring

_MISSING: Any = object()

# Also the order of their default ports: identity 8101, members 8102, … billing 8105.
SERVICE_NAMES = ("identity", "members", "workforce", "scheduling", "billing")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class Env:
    """Declares one setting: the environment variable, how to parse it, its default."""

    name: str
    parse: Callable[[str], Any] = str
    default: Any = _MISSING
    secret: bool = False
    help: str = ""

    # Loaded settings live in the instance's own attributes, which win over this non-data descriptor; read on
    # an instance, a declaration therefore types as its parsed value, read on the class as the declaration.
    @overload
    def __get__(self, instance: None, owner: type) -> Env: ...
    @overload
    def __get__(self, instance: object, owner: type) -> Any: ...
    def __get__(self, instance: object | None, owner: type) -> Any:
        if instance is None:
            return self
        raise AttributeError(f"setting {self.name} was not loaded")


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def parse_key(raw: str) -> str:
    if len(raw) < 32:
        raise ValueError("must be at least 32 characters")
    return raw


def parse_positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def parse_port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("must be a TCP port")
    return value


def signing_key_variable(service: str) -> str:
    """`IDENTITY_PASSPORT_SIGNING_KEY`, …: base64 of the service's own Ed25519 private key."""
    return f"{service.upper()}_PASSPORT_SIGNING_KEY"


class BaseSettings:
    """Settings common to every service; a service subclass adds its own `Env` attributes.

    The database URL is read from `<SERVICE>_DATABASE_URL` so that one shell can hold the URLs
    of all services; without it each service uses its own SQLite file under the data directory.
    """

    service: ClassVar[str] = ""

    environment = Env("PORTAL_ENV", default="development", help="development, test or production")
    internal_key = Env(
        "PORTAL_INTERNAL_KEY",
        parse=parse_key,
        secret=True,
        help="shared secret of flash cookies and keyed digests; derives the keys of unset rings",
    )
    # docs/decisions/0024-keys-by-purpose.md: passports are Ed25519; each process holds its own private key.
    passport_public_keys = Env(
        "PORTAL_PASSPORT_PUBLIC_KEYS",
        parse=passport.parse_public_keys,
        default=None,
        help="name:base64 Ed25519 public key of identity and of each service, comma-separated",
    )
    csrf_keys = Env(
        "PORTAL_CSRF_KEYS",
        parse=parse_key_ring,
        default=None,
        secret=True,
        help="key-id:base64 32-byte keys of the CSRF tokens, shared by the five services, the first signs",
    )
    broker_url = Env("PORTAL_BROKER_URL", default="amqp://guest:guest@127.0.0.1:5672/%2F")
    exchange = Env("PORTAL_EXCHANGE", default="portal.events")
    data_dir = Env("PORTAL_DATA_DIR", parse=Path, default=Path("var"))
    public_url = Env("PORTAL_PUBLIC_URL", default="http://127.0.0.1:8080")
    secure_cookies = Env(
        "PORTAL_SECURE_COOKIES", parse=parse_bool, default=False, help="forced on when PORTAL_PUBLIC_URL is https"
    )
    log_level = Env("PORTAL_LOG_LEVEL", default="INFO")
    consumer_prefetch = Env("PORTAL_CONSUMER_PREFETCH", parse=parse_positive_int, default=20)
    max_attempts = Env("PORTAL_MAX_ATTEMPTS", parse=parse_positive_int, default=5)
    retry_delay_ms = Env("PORTAL_RETRY_DELAY_MS", parse=parse_positive_int, default=5000)
    smtp_host = Env("PORTAL_SMTP_HOST", default="127.0.0.1")
    smtp_port = Env("PORTAL_SMTP_PORT", parse=parse_port, default=1025)
    mail_sender = Env("PORTAL_MAIL_SENDER", default="Espace adhérent <ne-pas-repondre@portail.local>")
    retention_outbox_days = Env(
        "PORTAL_RETENTION_OUTBOX_DAYS", parse=parse_positive_int, default=7, help="days a published event is kept"
    )
    retention_inbox_days = Env(
        "PORTAL_RETENTION_INBOX_DAYS",
        parse=parse_positive_int,
        default=30,
        help="days a processed event id is kept to refuse its redelivery",
    )
    retention_mail_days = Env(
        "PORTAL_RETENTION_MAIL_DAYS", parse=parse_positive_int, default=7, help="days a sent e-mail is kept"
    )
    retention_interval_seconds = Env(
        "PORTAL_RETENTION_INTERVAL_SECONDS",
        parse=parse_positive_int,
        default=600,
        help="how often a worker purges what is past its retention",
    )

    def __init__(self, values: Mapping[str, Any]):
        for key, value in values.items():
            object.__setattr__(self, key, value)
        self.database_url: str = values["database_url"]
        # Base URLs of the other services, for the rare synchronous `/internal/` call (PORTAL_<SERVICE>_URL).
        self.service_urls: dict[str, str] = values["service_urls"]
        self.passport_signing_key: Ed25519PrivateKey | None = values["passport_signing_key"]

    @classmethod
    def declared(cls) -> dict[str, Env]:
        found: dict[str, Env] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, Env):
                    found[attr] = value
        return found

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BaseSettings:
        environ = os.environ if environ is None else environ
        if not cls.service:
            raise SettingsError("settings class has no service name")
        values: dict[str, Any] = {}
        for attr, env in cls.declared().items():
            raw = environ.get(env.name)
            if raw is None or (raw == "" and env.default is not _MISSING):
                if env.default is _MISSING:
                    raise SettingsError(f"{env.name} is required ({env.help or attr})")
                values[attr] = env.default
                continue
            try:
                values[attr] = env.parse(raw)
            except ValueError as exc:
                shown = "" if env.secret else f" {raw!r}"
                raise SettingsError(f"{env.name} is invalid{shown}: {exc}") from None
        # Cookies follow the public URL: a portal served over https never sets one without Secure and __Host-.
        if str(values.get("public_url", "")).lower().startswith("https://"):
            values["secure_cookies"] = True
        # Like the database URL, a service's passport private key is read from `<SERVICE>_PASSPORT_SIGNING_KEY`:
        # one shell may hold the five keys, and each service's processes are given only their own.
        key_var = signing_key_variable(cls.service)
        try:
            raw_key = environ.get(key_var, "")
            values["passport_signing_key"] = passport.parse_signing_key(raw_key) if raw_key else None
        except ValueError as exc:
            raise SettingsError(f"{key_var} is invalid: {exc}") from None
        url_var = f"{cls.service.upper()}_DATABASE_URL"
        url = environ.get(url_var, "")
        if url and not url.startswith(("sqlite", "postgresql")):
            raise SettingsError(f"{url_var} is invalid: expected a sqlite:// or postgresql:// URL")
        values["database_url"] = url or f"sqlite:///{Path(values['data_dir']).resolve() / (cls.service + '.db')}"
        values["service_urls"] = {
            name: environ.get(f"PORTAL_{name.upper()}_URL", f"http://127.0.0.1:{8100 + offset}")
            for offset, name in enumerate(SERVICE_NAMES, start=1)
        }
        return cls(values)

    @classmethod
    def load_or_exit(cls, environ: Mapping[str, str] | None = None) -> BaseSettings:
        """Load the settings or stop the process with one line naming the variable."""
        try:
            return cls.from_env(environ)
        except SettingsError as exc:
            print(f"{cls.service}: configuration error: {exc}", file=sys.stderr, flush=True)
            raise SystemExit(2) from None

    @property
    def passport_keys(self) -> passport.PublicKeys:
        keys: passport.PublicKeys | None = self.passport_public_keys
        if keys is None:
            raise SettingsError("PORTAL_PASSPORT_PUBLIC_KEYS is required (passport public keys)")
        return keys

    @property
    def passport_signer(self) -> passport.Signer:
        """This process's signer, named after its service (the only principal it may sign for)."""
        if self.passport_signing_key is None:
            raise SettingsError(
                f"{signing_key_variable(self.service)} is required (this service's passport private key)"
            )
        return passport.Signer(self.service, self.passport_signing_key)

    @property
    def csrf_ring(self) -> KeyRing:
        """PORTAL_CSRF_KEYS; unset, one key derived from the internal key (tokens live as long as a session)."""
        ring: KeyRing | None = self.csrf_keys
        return ring if ring is not None else derived_ring(self.internal_key, "portal|csrf|v1", "d1")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def __repr__(self) -> str:  # never print secrets
        return f"<{type(self).__name__} service={self.service} database={self.database_url.split('@')[-1]}>"
