"""The hook for identity's step-up re-authentication before a SEPA mandate is signed.

Identity owns re-authentication and marks a recent one with the `step_up` grant of the passport. The check is
on by default (MEMBERS_SEPA_STEP_UP=true); setting it to false turns it off (e.g. a deployment without identity).
"""

from __future__ import annotations

from portal_common.passport import STEP_UP_GRANT, Principal


def satisfied(settings, principal: Principal) -> bool:
    return not settings.sepa_step_up or STEP_UP_GRANT in principal.grants
