"""The roles a session may carry, defined once for the five services (values are what the passport stores).

A member role applies to the session's current member company; a staff role to the whole service.
What each role lets a user do is decided beside each route (`portal_common.access`); the groups below name
the combinations that several services check, so a route says *what* it needs rather than a list of codes.
"""

from __future__ import annotations

from enum import StrEnum


class MemberRole(StrEnum):
    """Roles of a user within a member company (« rôles » on « Utilisateurs de l'entreprise »)."""

    ADMIN = "admin"  # holds every member role (see Principal.has_member_role)
    BILLING = "billing"
    DECLARATION = "declaration"
    CONVOCATION = "convocation"
    READ = "read"

    @property
    def label(self) -> str:
        return MEMBER_ROLE_LABELS[self]


class StaffRole(StrEnum):
    """Roles of the service's own staff."""

    SECRETARIAT = "secretariat"
    BILLING = "billing"
    ADMINISTRATION = "administration"


# In the order the pages show them.
MEMBER_ROLE_LABELS: dict[MemberRole, str] = {
    MemberRole.ADMIN: "Administrateur",
    MemberRole.BILLING: "Facturation",
    MemberRole.DECLARATION: "Déclaration",
    MemberRole.CONVOCATION: "Convocation",
    MemberRole.READ: "Lecture",
}

MEMBER_ROLES: frozenset[str] = frozenset(MemberRole)
STAFF_ROLES: frozenset[str] = frozenset(StaffRole)

# Every role of a member company (pages any of its users may open, such as « Mon entreprise »).
EVERY_MEMBER_ROLE = tuple(MemberRole)
# Every role of the service's staff.
EVERY_STAFF_ROLE = tuple(StaffRole)
# Member users who may see the company's employees and their visits (« Mes salariés », « Mes rendez-vous »):
# not Facturation alone, which has no need of personal data (docs/security.md AZ-02).
EMPLOYEE_READERS = (MemberRole.ADMIN, MemberRole.DECLARATION, MemberRole.CONVOCATION, MemberRole.READ)
# Member users who keep the employee list and declare the headcount.
EMPLOYEE_KEEPERS = (MemberRole.ADMIN, MemberRole.DECLARATION)
# Member users who organise visits.
VISIT_ORGANISERS = (MemberRole.ADMIN, MemberRole.CONVOCATION)
# Member users who pay and follow invoices; readers see them too.
INVOICE_PAYERS = (MemberRole.ADMIN, MemberRole.BILLING)
INVOICE_READERS = (MemberRole.BILLING, MemberRole.READ)
# Staff who handle members, employees and visits day to day.
OFFICE_STAFF = (StaffRole.SECRETARIAT, StaffRole.ADMINISTRATION)
# Staff who bill.
BILLING_STAFF = (StaffRole.BILLING, StaffRole.ADMINISTRATION)
