"""docs/security.md AUTH-10: no default or shared account ships in any image; demo accounts exist only in the local run."""

from __future__ import annotations

import re
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[2]
REPO = SERVICE.parents[1]


# What grants access: a migration that wrote a row here would ship a default account, link, token or session.
ACCESS_TABLES = {
    "user_account",
    "member_link",
    "member_invitation",
    "one_time_link",
    "user_session",
    "api_token",
    "login_code",
    "mfa_totp",
    "mfa_recovery_code",
}


def test_no_migration_of_identity_creates_an_account_or_a_link():
    """Data migrations may regroup what exists (0009 makes each firm account its firm's administrator), never add
    a row to a table that grants access."""
    for migration in sorted((SERVICE / "migrations" / "versions").glob("*.py")):
        text = migration.read_text("utf-8")
        if not re.search(r"bulk_insert|insert\s+into|\.insert\(|insert\(", text, re.IGNORECASE):
            continue
        written = set(re.findall(r"""(?:sa\.table|insert\s+into)\(?\s*["']?(\w+)""", text, re.IGNORECASE))
        assert written and not written & ACCESS_TABLES, (migration.name, written)


def test_the_deployed_images_and_manifests_never_load_the_demo_accounts():
    deployed = [REPO / "Dockerfile", REPO / "docker-compose.yml", *sorted((REPO / "deploy" / "k8s").glob("*.yaml"))]
    assert len(deployed) > 3
    for path in deployed:
        text = path.read_text("utf-8").lower()
        assert "demo" not in text and "portal_stack" not in text, path.name


def test_no_account_named_admin_root_or_test_is_hard_coded_in_the_service():
    for source in sorted((SERVICE / "identity").rglob("*.py")):
        text = source.read_text("utf-8")
        assert not re.search(r"""email\s*=\s*["'](admin|root|test)@""", text, re.IGNORECASE), source.name
