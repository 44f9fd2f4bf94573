"""The internal list of a user's member links, read by the members service (establishments, clients)."""

import pytest

from identity.accounts import use_cases as accounts
from portal_common.http import service_headers
from portal_common.testing import make_principal
from portal_common.testing.environment import signer_of

pytestmark = pytest.mark.integration

OTHER_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"


def test_another_service_reads_the_member_links_of_a_user_with_kind_and_roles(service, owner, member_id):
    accounts.link_member(
        service.portal, user_id=owner.id, member_id=OTHER_MEMBER, roles=("billing", "read"), kind="delegate"
    )
    headers = service_headers(signer_of("members"))
    answer = service.client().get(f"/internal/users/{owner.id}/member-links", headers=headers)
    assert answer.status_code == 200
    assert sorted(answer.json, key=lambda link: link["member_id"]) == [
        {"member_id": member_id, "kind": "member", "roles": ["admin"]},
        {"member_id": OTHER_MEMBER, "kind": "delegate", "roles": ["billing", "read"]},
    ]


def test_a_user_without_links_has_an_empty_list(service, owner):
    headers = service_headers(signer_of("members"))
    answer = service.client().get("/internal/users/no-such-user/member-links", headers=headers)
    assert answer.status_code == 200 and answer.json == []


def test_the_member_links_are_refused_to_browsers_and_to_signed_in_users(service, owner, member_id):
    client = service.client()
    assert client.get(f"/internal/users/{owner.id}/member-links").status_code == 401
    admin = make_principal(user_id=owner.id, member_id=member_id, roles=("admin",))
    assert client.get(f"/internal/users/{owner.id}/member-links", headers=service.headers(admin)).status_code == 403
