"""docs/security.md KEY-02, KEY-03: TOTP secrets and e-mail-change links have their own key rings; TOTP secrets sealed
before the ring existed (with the key derived from the internal key) still open, and the rotation command re-seals
them with the ring's current key, once."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from identity.app import create_app
from identity.config import TOTP_LEGACY_PURPOSE
from identity.email_change import rules as links
from identity.mfa import use_cases as mfa
from identity.mfa.sealing import seal, unseal
from identity.models import TotpFactor
from portal_common.keyring import new_key_setting, parse_key_ring
from portal_common.sealing import derive_key
from portal_common.sealing import seal as seal_bytes

OLD, NEW = new_key_setting("t1"), new_key_setting("t2")


@pytest.fixture
def ringed(portal_env, service):
    """The same service and database as `service`, started with IDENTITY_TOTP_KEYS set (by `keys`)."""
    made = []

    def start(keys: str):
        app = create_app(environ=portal_env.environ("identity", service.database_url, IDENTITY_TOTP_KEYS=keys))
        made.append(app)
        return app.extensions["portal"]

    yield start
    for app in made:
        app.extensions["portal"].db.dispose()


def stored(portal, user_id: str) -> str:
    with portal.db.session_factory() as db:
        return db.scalar(select(TotpFactor.sealed_secret).where(TotpFactor.user_id == user_id))


def seal_as_before_rings(internal_key: str, user_id: str, secret: str) -> str:
    """What identity stored before the TOTP ring existed: no key id, the key derived from the internal key."""
    key = derive_key(internal_key, TOTP_LEGACY_PURPOSE)
    return base64.urlsafe_b64encode(seal_bytes(key, secret.encode(), f"totp|{user_id}".encode())).decode()


def test_a_totp_secret_sealed_before_the_ring_still_opens_and_rotation_reseals_it_once(service, pages, owner, ringed):
    secret = pages.enrol_totp(owner.id)
    legacy = seal_as_before_rings(service.portal.settings.internal_key, owner.id, secret)
    with service.portal.uow() as tx:
        tx.session.get(TotpFactor, owner.id).sealed_secret = legacy
        tx.commit()

    portal = ringed(NEW)
    assert unseal(portal.settings.totp_ring, owner.id, legacy) == secret
    first = mfa.rotate_totp_secrets(portal)
    assert (first.checked, first.rotated, first.unreadable) == (1, 1, 0)
    assert (
        stored(portal, owner.id).startswith("t2:")
        and unseal(portal.settings.totp_ring, owner.id, stored(portal, owner.id)) == secret
    )
    assert mfa.rotate_totp_secrets(portal) == type(first)(checked=1, rotated=0, unreadable=0)


def test_a_new_totp_key_put_first_reseals_what_the_old_one_sealed_and_the_old_key_no_longer_opens_it(
    service, pages, owner, ringed, clock
):
    old_portal = ringed(OLD)
    secret = pages.enrol_totp(owner.id)
    with service.portal.uow() as tx:  # sealed as a process holding only the old ring would have
        tx.session.get(TotpFactor, owner.id).sealed_secret = seal(old_portal.settings.totp_ring, owner.id, secret)
        tx.commit()

    portal = ringed(f"{NEW},{OLD}")
    assert mfa.rotate_totp_secrets(portal).rotated == 1
    value = stored(portal, owner.id)
    assert value.startswith("t2:") and unseal(parse_key_ring(NEW), owner.id, value) == secret
    assert unseal(parse_key_ring(OLD), owner.id, value) is None
    assert mfa.rotate_totp_secrets(portal).rotated == 0


def test_a_secret_no_key_of_the_ring_opens_is_counted_and_kept_as_it_is(service, pages, owner, ringed):
    pages.enrol_totp(owner.id)
    foreign = seal(parse_key_ring(new_key_setting("x9")), owner.id, "JBSWY3DPEHPK3PXP")
    with service.portal.uow() as tx:
        tx.session.get(TotpFactor, owner.id).sealed_secret = foreign
        tx.commit()
    result = mfa.rotate_totp_secrets(ringed(NEW))
    assert (result.rotated, result.unreadable) == (0, 1) and stored(service.portal, owner.id) == foreign


def test_an_email_change_link_opens_with_every_key_of_its_ring_and_links_from_before_the_ring_still_open(service):
    token = "t" * links.TOKEN_LENGTH
    old_ring, both = parse_key_ring(OLD), parse_key_ring(f"{NEW},{OLD}")
    sealed = links.seal(old_ring, token, "nouvelle@exemple.fr")
    assert links.split_link(both, token + sealed) == (token, "nouvelle@exemple.fr")
    assert links.split_link(parse_key_ring(NEW), token + sealed) is None
    assert (
        links.seal(both, token, "x@exemple.fr") != sealed
        and links.unseal(parse_key_ring(NEW), token, links.seal(both, token, "x@exemple.fr")) == "x@exemple.fr"
    )
    # Sent an hour before the upgrade: no key id inside, sealed with the key derived from the internal key.
    legacy_key = derive_key(service.portal.settings.internal_key, "identity|email-change|v1")
    before = (
        base64.urlsafe_b64encode(seal_bytes(legacy_key, b"avant@exemple.fr", links.token_hash(token).encode()))
        .decode()
        .rstrip("=")
    )
    assert links.split_link(service.portal.settings.email_link_ring, token + before) == (token, "avant@exemple.fr")
    assert all(c.isalnum() or c in "-_" for c in sealed)  # one URL-safe segment: the gateway masks it in its logs
