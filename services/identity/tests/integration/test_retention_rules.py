"""Identity's spent tokens are purged a week after their expiry; a link an invitation still points to stays."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from identity.models import CaptchaSpent, Invitation, LoginCode, OneTimeLink
from portal_common.clock import utcnow
from portal_common.retention import purge

pytestmark = pytest.mark.integration


def test_expired_codes_nonces_and_free_links_go_and_an_invited_link_and_live_tokens_stay(service, owner, member_id):
    now, long_ago = utcnow(), utcnow() - timedelta(days=30)
    ids = {name: str(uuid.uuid4()) for name in ("old_code", "live_code", "old_link", "invited_link", "live_link")}
    with service.portal.db.session_factory() as session:
        for name, expires in (("old_code", long_ago), ("live_code", now + timedelta(minutes=10))):
            session.add(
                LoginCode(
                    id=ids[name],
                    presession_hash="p" * 64,
                    user_id=owner.id,
                    code_hash="c" * 64,
                    created_at=expires - timedelta(minutes=10),
                    expires_at=expires,
                )
            )
        for name, expires in (
            ("old_link", long_ago),
            ("invited_link", long_ago),
            ("live_link", now + timedelta(days=1)),
        ):
            session.add(
                OneTimeLink(
                    id=ids[name],
                    token_hash=uuid.uuid4().hex * 2,
                    purpose="reset",
                    user_id=owner.id,
                    created_at=expires - timedelta(days=1),
                    expires_at=expires,
                )
            )
        session.add(CaptchaSpent(nonce="spent-nonce", expires_at=now - timedelta(seconds=1)))
        session.add(CaptchaSpent(nonce="live-nonce", expires_at=now + timedelta(minutes=5)))
        session.flush()
        session.add(
            Invitation(
                id=str(uuid.uuid4()),
                link_id=ids["invited_link"],
                user_id=owner.id,
                member_id=member_id,
                roles="admin",
                kind="invitation",
                created_at=long_ago,
                accepted_at=long_ago,
            )
        )
        session.commit()
    counts = purge(service.portal.db, service.portal.retention)
    assert counts == {"login_code": 1, "captcha_spent": 1, "one_time_link": 1}
    with service.portal.db.session_factory() as session:
        assert ids["old_code"] not in set(session.scalars(select(LoginCode.id)))
        assert ids["live_code"] in set(session.scalars(select(LoginCode.id)))
        links = set(session.scalars(select(OneTimeLink.id)))
        assert links >= {ids["invited_link"], ids["live_link"]} and ids["old_link"] not in links
        assert set(session.scalars(select(CaptchaSpent.nonce))) == {"live-nonce"}
