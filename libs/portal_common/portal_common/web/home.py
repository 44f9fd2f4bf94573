"""The parts of the two home pages (« Accueil » of a company, staff's « Accueil »), one list for every service.

Members serves each home page's frame, drawn from the passport alone (no query), and every service, members
included, renders its part from its own data at `path`; the gateway includes the parts in the frame (nginx
server-side includes, docs/architecture.md « Home pages »), all at once as soon as the frame arrives, so the home
costs the frame and its slowest part rather than their sum. The frame includes a part only for whom its `rule`
admits, and each service's fragment route declares the same rule, so nobody's home asks for a part that would
answer 403. When a service is down the gateway includes nothing and the frame shows `unavailable` in the part's
place.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..access import Rule, member, staff
from ..passport import Principal
from ..roles import EMPLOYEE_READERS, EVERY_MEMBER_ROLE, EVERY_STAFF_ROLE, INVOICE_READERS

MEMBER_HOME = "/accueil"
STAFF_HOME = "/gestion/accueil"


@dataclass(frozen=True)
class HomePart:
    service: str
    title: str
    unavailable: str
    rule: Rule
    home: str

    @property
    def path(self) -> str:
        return f"{self.home}/fragments/{self.service}"

    @property
    def stub(self) -> str:
        """The name of the SSI block the frame shows when the part cannot be included."""
        return f"{self.service}_indisponible"

    def offered_to(self, principal: Principal | None) -> bool:
        return principal is not None and self.rule.check(principal) is None


MEMBER_HOME_PARTS: tuple[HomePart, ...] = (
    HomePart(
        "members",
        "Mon entreprise",
        "Les informations de votre entreprise sont momentanément indisponibles.",
        member(*EVERY_MEMBER_ROLE),
        MEMBER_HOME,
    ),
    HomePart(
        "workforce",
        "Effectifs et déclaration",
        "Les effectifs et la déclaration sont momentanément indisponibles.",
        member(*EMPLOYEE_READERS),
        MEMBER_HOME,
    ),
    HomePart(
        "scheduling",
        "Rendez-vous",
        "Les rendez-vous sont momentanément indisponibles.",
        member(*EMPLOYEE_READERS),
        MEMBER_HOME,
    ),
    HomePart(
        "billing",
        "Factures",
        "Les factures sont momentanément indisponibles.",
        member(*INVOICE_READERS),
        MEMBER_HOME,
    ),
)

STAFF_HOME_PARTS: tuple[HomePart, ...] = (
    HomePart(
        "members",
        "Adhérents",
        "Les demandes des adhérents sont momentanément indisponibles.",
        staff(*EVERY_STAFF_ROLE),
        STAFF_HOME,
    ),
    HomePart(
        "scheduling",
        "Rendez-vous",
        "Les rendez-vous sont momentanément indisponibles.",
        staff(*EVERY_STAFF_ROLE),
        STAFF_HOME,
    ),
    HomePart(
        "workforce",
        "Déclarations des effectifs",
        "Les déclarations des effectifs sont momentanément indisponibles.",
        staff(*EVERY_STAFF_ROLE),
        STAFF_HOME,
    ),
    HomePart(
        "billing",
        "Facturation de la campagne",
        "La facturation est momentanément indisponible.",
        staff(*EVERY_STAFF_ROLE),
        STAFF_HOME,
    ),
)


def member_part(service: str) -> HomePart:
    return next(part for part in MEMBER_HOME_PARTS if part.service == service)


def staff_part(service: str) -> HomePart:
    return next(part for part in STAFF_HOME_PARTS if part.service == service)
