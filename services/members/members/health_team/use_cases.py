"""Staff manage the service's centres and assign each company its centre and health team."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from portal_common.clock import utcnow
from portal_common.service import Portal

from ..models import Centre, HealthTeam, Member
from ..record.rules import Actor, ChangeAction, ChangeKind, NotFound, StaleVersion
from ..record.use_cases.audit import new_request, publish_snapshot
from ..record.use_cases.snapshots import centre_values
from .rules import TEAM_FIELDS, check_centre, check_team


def save_centre(
    portal: Portal,
    centre_id: str | None,
    data: dict[str, Any],
    *,
    new_id: str | None = None,
    expected_version: int | None = None,
) -> Centre:
    """Create (centre_id None) or change a centre; the companies it follows get a new snapshot (scheduling
    prints it). `expected_version` is the version the form was read at: StaleVersion when someone saved since
    (checked under the centre's row lock)."""
    values = check_centre(data)
    with portal.uow() as tx:
        if centre_id is None:
            centre = Centre(id=new_id or str(uuid.uuid4()), created_at=utcnow(), **values)
            tx.session.add(centre)
        else:
            centre = tx.session.get(Centre, centre_id, with_for_update=True)
            if centre is None:
                raise NotFound(centre_id)
            if expected_version is not None and centre.version != expected_version:
                raise StaleVersion(centre.version)
            changed = centre_values(centre) != values
            for name, value in values.items():
                setattr(centre, name, value)
            if changed:
                tx.session.flush()
                followed = tx.session.scalars(
                    select(Member)
                    .join(HealthTeam, HealthTeam.member_id == Member.id)
                    .where(HealthTeam.centre_id == centre_id)
                    .with_for_update()
                )
                for member in followed:
                    publish_snapshot(tx, member)
        tx.commit()
        return centre


def team_values(team: HealthTeam | None) -> dict[str, Any]:
    return {name: getattr(team, name) if team is not None else None for name in TEAM_FIELDS}


def assign_team(
    portal: Portal, member_id: str, data: dict[str, Any], actor: Actor, *, expected_version: int | None = None
) -> HealthTeam:
    """Staff assign the centre and the people following a company: audited; a new centre is published.

    `expected_version` is the team's version the form was read at (0: no team yet): StaleVersion when another
    member of staff saved since (checked under the company's row lock)."""
    with portal.uow() as tx:
        member = tx.session.get(Member, member_id, with_for_update=True)
        if member is None:
            raise NotFound(member_id)
        centre_id = str(data.get("centre_id") or "").strip()
        values = check_team(data, centre_exists=bool(centre_id) and tx.session.get(Centre, centre_id) is not None)
        team = tx.session.get(HealthTeam, member_id)
        current_version = team.version if team is not None else 0
        if expected_version is not None and current_version != expected_version:
            raise StaleVersion(current_version)
        before = team_values(team)
        if team is None:
            team = HealthTeam(member_id=member_id)
            tx.session.add(team)
        for name, value in values.items():
            setattr(team, name, value)
        team.updated_by_name, team.updated_at = actor.name, utcnow()
        changed = {k: v for k, v in values.items() if before[k] != v}
        if changed:

            def shown(name: str, value: Any) -> tuple[str, Any]:  # the audit names the centre, not its id
                if name != "centre_id":
                    return name, value
                centre = tx.session.get(Centre, value) if value else None
                return "centre", centre.name if centre is not None else None

            tx.session.add(
                new_request(
                    member_id,
                    ChangeKind.TEAM,
                    ChangeAction.UPDATE,
                    dict(shown(k, before[k]) for k in changed),
                    dict(shown(k, v) for k, v in changed.items()),
                    actor,
                    pending=False,
                )
            )
        if "centre_id" in changed:
            publish_snapshot(tx, member)
        tx.commit()
        return team
