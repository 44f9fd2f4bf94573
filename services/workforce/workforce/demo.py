"""Demo data of the workforce service: employees hired through the real use case (events included)."""

from __future__ import annotations

from datetime import date

from portal_common.service import Portal
from portal_common.vocabulary import MonitoringCategory

from .employees import use_cases
from .employees.rules import HireCommand
from .models import Employee

# The demo dataset gives a category per post; the portal computes it from determinants instead.
DETERMINANTS_FOR = {
    MonitoringCategory.SI: (),
    MonitoringCategory.SIA: ("travail_nuit",),
    MonitoringCategory.SIR: ("cmr",),
}


def _birth_place(item: dict) -> tuple[str | None, str | None]:
    """The dataset's place of birth; else the one the NIR encodes (characters 6 to 10: the INSEE code of the
    commune, or 99 and the country code for someone born abroad)."""
    if item.get("birth_commune") or item.get("birth_country"):
        return item.get("birth_commune"), item.get("birth_country")
    code = item["nir"].replace(" ", "").upper()[5:10]
    return (None, code) if code.startswith("99") else (code, None)


def _command(item: dict) -> HireCommand:
    determinants = item.get("determinants")
    if determinants is None:
        determinants = DETERMINANTS_FOR.get(item.get("monitoring_category", MonitoringCategory.SI), ())
    birth_commune, birth_country = _birth_place(item)
    return HireCommand(
        last_name=item["last_name"],
        birth_name=item.get("birth_name"),
        first_names=item["first_names"],
        sex=item["sex"],
        birth_date=date.fromisoformat(item["birth_date"]),
        nir=item["nir"],
        hire_date=date.fromisoformat(item["hire_date"]),
        post=item["post"],
        pcs_code=item.get("pcs_code"),
        contract=item["contract"],
        multi_employer=bool(item.get("multi_employer", False)),
        determinants=tuple(determinants),
        birth_commune=birth_commune,
        birth_country=birth_country,
    )


def load(portal: Portal, dataset: dict) -> None:
    """Hires `dataset["employees"]`; idempotent: an id already present is skipped."""
    for item in dataset.get("employees", []):
        with portal.db.session_factory() as session:
            if session.get(Employee, item["id"]) is not None:
                continue
        use_cases.hire_employee(portal, item["member_id"], _command(item), employee_id=item["id"], actor="demo")
