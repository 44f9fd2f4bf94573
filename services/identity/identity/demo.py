"""Demo accounts: idempotent, through the same functions as real account creation."""

from __future__ import annotations

from typing import Any

from portal_common.service import Portal
from portal_common.vocabulary import MemberStatus

from .accounts import use_cases as accounts
from .firms import use_cases as firms
from .models import MemberDirectoryEntry, User
from .team.rules import LinkKind


def load(portal: Portal, dataset: dict[str, Any]) -> None:
    with portal.uow() as tx:
        # The directory normally comes from members' events; seeding it lets logins work at once.
        for member in dataset.get("members", []):
            if tx.session.get(MemberDirectoryEntry, member["id"]) is None:
                # Version 0: members' own registered.v1 still applies, bringing the n° télédéclarant's digest.
                tx.session.add(
                    MemberDirectoryEntry(
                        member_id=member["id"],
                        member_number=member["member_number"],
                        name=member["name"],
                        status=MemberStatus.ACTIVE,
                        version=0,
                    )
                )
        tx.commit()
    for user in dataset.get("users", []):
        with portal.db.session_factory() as db:
            exists = db.get(User, user["id"]) is not None
        if not exists:
            accounts.create_user(
                portal,
                user_id=user["id"],
                email=user["email"],
                display_name=user["display_name"],
                password=user["password"],
                login_member_number=user.get("login_member_number"),
                staff_roles=tuple(user.get("staff_roles", ())),
            )
        if user.get("collaborator_of"):
            # Before its delegations, so that they make the user a collaborator rather than a firm of its own.
            firms.add_collaborator(portal, admin_id=user["collaborator_of"], user_id=user["id"])
        for link in user.get("links", []):
            accounts.link_member(
                portal,
                user_id=user["id"],
                member_id=link["member_id"],
                roles=tuple(link["roles"]),
                kind=LinkKind(link.get("kind", LinkKind.MEMBER)),
            )
