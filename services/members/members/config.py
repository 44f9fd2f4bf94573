"""Settings of the members service."""

from __future__ import annotations

from portal_common.config import BaseSettings, Env, parse_bool

from .health_team.rules import parse_mailboxes


def parse_field_list(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


class Settings(BaseSettings):
    service = "members"

    # Member edits need staff validation by default (as in the seeds); these apply at once, still audited.
    immediate_fields = Env(
        "MEMBERS_IMMEDIATE_FIELDS",
        parse=parse_field_list,
        default=frozenset(),
        help="comma-separated record fields (e.g. phone,email) or 'address', 'contact'",
    )
    iban_keys = Env(
        "MEMBERS_IBAN_KEYS",
        default="",
        secret=True,
        help="kid:base64 32-byte AES keys, comma-separated, the first encrypts; "
        "empty derives one from PORTAL_INTERNAL_KEY",
    )
    sepa_creditor_id = Env("MEMBERS_SEPA_CREDITOR_ID", default="FR12ZZZ123456", help="ICS of the service")
    sepa_creditor_name = Env("MEMBERS_SEPA_CREDITOR_NAME", default="Service de prévention et de santé au travail")
    sepa_step_up = Env(
        "MEMBERS_SEPA_STEP_UP",
        parse=parse_bool,
        default=True,
        help="require the identity's step-up grant before signing a SEPA mandate",
    )
    service_mailboxes = Env(
        "MEMBERS_SERVICE_MAILBOXES",
        parse=parse_mailboxes,
        default=(),
        help="the service's mailboxes shown to members: 'Rendez-vous=rdv@…;Facturation=…'",
    )
