"""The hook for identity's step-up re-authentication before a SEPA mandate is signed (issue 3).

Identity owns re-authentication. Until it marks a recent one in the passport, the check is off by default;
with MEMBERS_SEPA_STEP_UP=true the passport must carry the `step_up` grant identity will add.
"""
from __future__ import annotations

from portal_common.passport import Principal

STEP_UP_GRANT = "step_up"


def satisfied(settings, principal: Principal) -> bool:
    return not settings.sepa_step_up or STEP_UP_GRANT in principal.grants
