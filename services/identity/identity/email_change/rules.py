"""Rules of changing the e-mail address of one's account, free of Flask and SQLAlchemy.

The pending address travels sealed (AES-256-GCM, bound to the link) inside the e-mailed link, so the database keeps
only the link's sha256 and the URL never shows the address. Whether the new address already belongs to another
account is never revealed: the answer is the same and that address receives no link.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from enum import StrEnum

from cryptography.exceptions import InvalidTag

from portal_common.keyring import KeyRing
from portal_common.sealing import seal as seal_bytes
from portal_common.sealing import unseal as unseal_bytes

from ..login.rules import looks_like_email
from ..recovery.rules import token_hash

LIFETIME = timedelta(hours=1)
MAX_LINKS_PER_HOUR = 5
PATH = "/connexion/nouvelle-adresse-e-mail/"
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32); the sealed address follows it in the same URL-safe segment,
# which the gateway masks in its access log like every other e-mailed link

TOO_MANY = "Trop de demandes en une heure : réessayez plus tard."


class ChangeOutcome(StrEnum):
    """What following the confirmation link did."""

    DONE = "done"
    EXPIRED = "expired"  # unknown, used or out-of-date link
    TAKEN = "taken"  # the address got another account meanwhile


BAD_NEW_EMAIL = "Saisissez une adresse e-mail valide (exemple : nom@entreprise.fr)."


def email_change_errors(current: str, new: str, confirmation: str) -> dict[str, str]:
    """The field messages of the e-mail change form, in French; {} when the request may go on."""
    if not looks_like_email(new):
        return {"new_email": BAD_NEW_EMAIL}
    if new.lower() != confirmation.strip().lower():
        return {"confirmation": "Les deux saisies de la nouvelle adresse sont différentes."}
    if new.lower() == current.lower():
        return {"new_email": "C'est déjà l'adresse e-mail de votre compte."}
    return {}


# The sealed address names its key inside the base64 (framing byte, id length, id), so the link stays one
# URL-safe segment the gateway masks in its logs. Links sealed before the ring existed have no framing and opened
# with the legacy key; they live an hour (LIFETIME), so a new key is put first and the old kept for that hour.
FRAMED = 1
LEGACY_KEY_ID = "d1"


def seal(ring: KeyRing, token: str, email: str) -> str:
    key_id = ring.current_id.encode()
    sealed = seal_bytes(ring.current, email.encode(), token_hash(token).encode())
    return base64.urlsafe_b64encode(bytes([FRAMED, len(key_id)]) + key_id + sealed).decode().rstrip("=")


def _candidates(ring: KeyRing, raw: bytes) -> list[tuple[bytes, bytes]]:
    """(key, sealed bytes) to try: the framed reading, then the legacy one (AES-GCM's tag tells which is right)."""
    found = []
    if len(raw) > 2 and raw[0] == FRAMED:
        key = ring.key(raw[2 : 2 + raw[1]].decode("ascii", "replace"))
        if key is not None:
            found.append((key, raw[2 + raw[1] :]))
    legacy = ring.key(LEGACY_KEY_ID)
    if legacy is not None:
        found.append((legacy, raw))
    return found


def unseal(ring: KeyRing, token: str, sealed: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode((sealed + "=" * (-len(sealed) % 4)).encode())
    except ValueError:
        return None
    for key, body in _candidates(ring, raw):
        try:
            return unseal_bytes(key, body, token_hash(token).encode()).decode()
        except (InvalidTag, ValueError, UnicodeDecodeError):
            continue
    return None


def split_link(ring: KeyRing, link_text: str) -> tuple[str, str] | None:
    """The link's token and the new address it carries, or None when the link is not one of ours."""
    token, sealed = link_text[:TOKEN_LENGTH], link_text[TOKEN_LENGTH:]
    if len(token) != TOKEN_LENGTH or not sealed:
        return None
    new_email = unseal(ring, token, sealed)
    return (token, new_email) if new_email is not None else None
