"""The demo: a staff account, three member companies, an accounting firm, ~50 employees, visits, invoices.

Everything is derived deterministically (uuid5, a seeded generator) so loading it twice changes
nothing and every service agrees on the ids without talking to each other.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from portal_common import clock
from portal_common.validators import nir_key
from scheduling.business_calendar.rules import HolidayCalendar, next_open_day

NAMESPACE = uuid.UUID("9a7c4f3e-2d1b-4c5a-8e6f-0b1c2d3e4f5a")
DEMO_PASSWORD = "demo-espace-adherent-2026"


def demo_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


MEMBERS = [
    dict(
        member_number="1000001",
        name="Boulangerie Martin",
        siret="73282932000074",
        naf_code="10.71C",
        address_line1="12 rue de la Gare",
        postal_code="68100",
        city="Mulhouse",
        email="contact@boulangerie-martin.fr",
        billing_email="compta@boulangerie-martin.fr",
        adhesion_date="2015-03-01",
        employees=14,
    ),
    dict(
        member_number="1000002",
        name="Garage du Centre",
        siret="40483304800022",
        naf_code="45.20A",
        address_line1="3 place de l'Église",
        postal_code="68000",
        city="Colmar",
        email="garage.centre@orange.fr",
        billing_email="garage.centre@orange.fr",
        adhesion_date="2018-09-15",
        employees=18,
    ),
    dict(
        member_number="1000003",
        name="Transports Keller SAS",
        siret="55208131766522",
        naf_code="49.41A",
        address_line1="ZI Nord, 8 rue de l'Industrie",
        postal_code="67000",
        city="Strasbourg",
        email="rh@transports-keller.fr",
        billing_email="factures@transports-keller.fr",
        adhesion_date="2011-01-10",
        employees=18,
    ),
]

LAST_NAMES = [
    "Muller",
    "Schmitt",
    "Meyer",
    "Weber",
    "Klein",
    "Fischer",
    "Wolf",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Étienne",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
]
FIRST_F = ["Élodie", "Marie", "Camille", "Léa", "Chloé", "Inès", "Julie", "Sophie", "Nathalie", "Aurélie"]
FIRST_M = ["Lucas", "Hugo", "Thomas", "Nicolas", "Julien", "Kévin", "Mathis", "Antoine", "Jérôme", "Loïc"]
POSTS = {
    "10.71C": [
        ("Boulanger", "683a", "SI"),
        ("Vendeuse en boulangerie", "554j", "SI"),
        ("Pâtissier", "683a", "SI"),
        ("Livreur", "643a", "SIA"),
        ("Boulanger de nuit", "683a", "SIA"),
    ],
    "45.20A": [
        ("Mécanicien automobile", "633a", "SI"),
        ("Carrossier-peintre", "634c", "SIR"),
        ("Réceptionnaire", "554a", "SI"),
        ("Électricien automobile", "633a", "SIR"),
    ],
    "49.41A": [
        ("Conducteur poids lourd", "641a", "SIA"),
        ("Cariste", "651a", "SI"),
        ("Mécanicien PL", "633a", "SI"),
        ("Agent d'exploitation", "467c", "SI"),
        ("Manutentionnaire de nuit", "676c", "SIA"),
    ],
}
CONTRACTS = ["CDI"] * 7 + ["CDD", "apprentissage", "interim"]
DEPARTMENTS = ["68", "67", "68", "25", "75", "2A", "90"]


# Communes of birth of each department, from the INSEE list the hire form checks the birthplace against.
COMMUNES = {
    "68": ("68224", "68066", "68297", "68154"),  # Mulhouse, Colmar, Saint-Louis, Illzach
    "67": ("67482", "67180", "67447"),  # Strasbourg, Haguenau, Schiltigheim
    "25": ("25056", "25388"),  # Besançon, Montbéliard
    "75": ("75111", "75115", "75118"),  # Paris 11e, 15e, 18e
    "2A": ("2A004", "2A247"),  # Ajaccio, Porto-Vecchio
    "90": ("90010",),  # Belfort
}


def _nir(rng: random.Random, sex: str, birth: date) -> str:
    department = rng.choice(DEPARTMENTS)
    # As many draws as before, so the rest of the demo stays the same: the first picks the commune.
    communes = COMMUNES[department]
    commune = communes[rng.randint(1, 999) % len(communes)]
    first13 = f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{commune}{rng.randint(1, 999):03d}"
    return f"{first13}{nir_key(first13):02d}"


def _employees(rng: random.Random, member: dict[str, Any], member_id: str) -> list[dict[str, Any]]:
    employees = []
    for index in range(member["employees"]):
        sex = rng.choice("FM")
        birth = date(rng.randint(1962, 2006), rng.randint(1, 12), rng.randint(1, 28))
        last = rng.choice(LAST_NAMES).upper()
        birth_name = rng.choice(LAST_NAMES).upper() if sex == "F" and rng.random() < 0.3 else last
        post, pcs, category = rng.choice(POSTS[member["naf_code"]])
        hire = max(date(birth.year + 18, 9, 1), date(2026 - rng.randint(0, 15), rng.randint(1, 12), 1))
        employees.append(
            dict(
                id=demo_id("employee", member["member_number"], index),
                member_id=member_id,
                last_name=last,
                birth_name=birth_name,
                first_names=rng.choice(FIRST_F if sex == "F" else FIRST_M),
                sex=sex,
                birth_date=birth.isoformat(),
                nir=_nir(rng, sex, birth),
                hire_date=min(hire, date(2026, 10, 1)).isoformat(),
                post=post,
                pcs_code=pcs,
                contract=rng.choice(CONTRACTS),
                multi_employer=rng.random() < 0.08,
                monitoring_category=category,
            )
        )
    return employees


def _appointments(
    rng: random.Random, employees: list[dict[str, Any]], today: date, centre: str
) -> list[dict[str, Any]]:
    visits = []
    for index, employee in enumerate(employees[:6]):
        upcoming = index % 2 == 0
        day = today + timedelta(days=rng.randint(3, 40)) if upcoming else today - timedelta(days=rng.randint(10, 200))
        # No visit on a weekend or a public holiday of the demo centre's calendar (Mulhouse: Alsace-Moselle).
        day = next_open_day(day, HolidayCalendar.ALSACE_MOSELLE)
        starts = datetime.combine(day, time(7 + rng.randint(0, 8), rng.choice([0, 30])), tzinfo=UTC)
        kind = {"SIR": "aptitude", "SIA": "periodique"}.get(employee["monitoring_category"], "periodique")
        visits.append(
            dict(
                id=demo_id("appointment", employee["id"]),
                member_id=employee["member_id"],
                employee_id=employee["id"],
                starts_at=starts.isoformat(),
                duration_minutes=30,
                visit_type=kind if index else "embauche",
                place=centre,
                professional_kind="medecin" if kind == "aptitude" else "infirmier",
                status="convoquee" if upcoming else rng.choice(["realisee", "realisee", "absent_excuse"]),
            )
        )
    return visits


def _invoices(member: dict[str, Any], member_id: str, headcount: int) -> list[dict[str, Any]]:
    number = member["member_number"]
    per_capita = "118.00"
    return [
        dict(
            id=demo_id("invoice", number, 2025),
            member_id=member_id,
            kind="cotisation",
            issued_on="2025-02-15",
            due_on="2025-03-31",
            period="2025",
            vat_rate="0.20",
            amount_paid="ALL",
            lines=[
                dict(label="Cotisation annuelle 2025 — salariés suivis", quantity=str(headcount), unit_price="115.50")
            ],
        ),
        dict(
            id=demo_id("invoice", number, 2026),
            member_id=member_id,
            kind="cotisation",
            issued_on="2026-02-16",
            due_on="2026-12-15",
            period="2026",
            vat_rate="0.20",
            amount_paid="0.00",
            lines=[
                dict(label="Cotisation annuelle 2026 — salariés suivis", quantity=str(headcount), unit_price=per_capita)
            ],
        ),
    ]


def build(today: date | None = None) -> dict[str, Any]:
    today = today or clock.today()  # a French day: the services compare with the Paris date
    rng = random.Random(20260122)
    members, employees, appointments, invoices, users = [], [], [], [], []
    centre = "Centre de santé au travail de Mulhouse — 5 avenue Kennedy, 68100 Mulhouse"
    for member in MEMBERS:
        member_id = demo_id("member", member["member_number"])
        members.append({k: v for k, v in member.items() if k != "employees"} | {"id": member_id})
        staff_of_member = _employees(rng, member, member_id)
        employees += staff_of_member
        appointments += _appointments(rng, staff_of_member, today, centre)
        invoices += _invoices(member, member_id, len(staff_of_member))
        users.append(
            dict(
                id=demo_id("user", member["member_number"]),
                email=member["email"],
                display_name=f"Responsable {member['name']}",
                password=DEMO_PASSWORD,
                login_member_number=member["member_number"],
                links=[dict(member_id=member_id, roles=["admin"], kind="member")],
            )
        )
    for invoice in invoices:
        if invoice["amount_paid"] == "ALL":  # the 2025 fee was paid in full
            line = invoice["lines"][0]
            total = Decimal(line["quantity"]) * Decimal(line["unit_price"]) * (1 + Decimal(invoice["vat_rate"]))
            invoice["amount_paid"] = str(total.quantize(Decimal("0.01")))
    users.append(
        dict(
            id=demo_id("user", "staff"),
            email="secretariat@spsti-demo.fr",
            display_name="Sophie Secrétariat",
            password=DEMO_PASSWORD,
            staff_roles=["secretariat", "billing", "administration"],
            links=[],
        )
    )
    users.append(
        dict(
            id=demo_id("user", "firm"),
            email="cabinet@fiducia-expertise.fr",
            display_name="Cabinet Fiducia Expertise",
            password=DEMO_PASSWORD,
            links=[
                dict(member_id=members[0]["id"], roles=["declaration", "billing"], kind="delegate"),
                dict(member_id=members[1]["id"], roles=["declaration", "billing"], kind="delegate"),
            ],
        )
    )
    # One of the firm's collaborators: the firm gave her one of its two clients only, to declare.
    users.append(
        dict(
            id=demo_id("user", "firm", "collaborator"),
            email="lea.klein@fiducia-expertise.fr",
            display_name="Léa Klein",
            password=DEMO_PASSWORD,
            collaborator_of=demo_id("user", "firm"),
            links=[dict(member_id=members[1]["id"], roles=["declaration"], kind="delegate")],
        )
    )
    return dict(members=members, employees=employees, appointments=appointments, invoices=invoices, users=users)


LOGINS = [
    ("Adhérent (Boulangerie Martin)", "1000001", DEMO_PASSWORD),
    ("Adhérent (Garage du Centre)", "1000002", DEMO_PASSWORD),
    ("Adhérent (Transports Keller)", "1000003", DEMO_PASSWORD),
    ("Cabinet comptable (2 clients)", "cabinet@fiducia-expertise.fr", DEMO_PASSWORD),
    ("Collaboratrice du cabinet (1 client)", "lea.klein@fiducia-expertise.fr", DEMO_PASSWORD),
    ("Personnel du service", "secretariat@spsti-demo.fr", DEMO_PASSWORD),
]
