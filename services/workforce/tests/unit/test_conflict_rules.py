"""The refusals that settle a race on the employee list: a present NIR and a second exit are conflicts naming the
employee (409), shown next to their field on the pages (docs/architecture.md, "Concurrency and retries")."""

from datetime import date

import pytest

from portal_common.errors import Conflict
from workforce.employees.rules import AlreadyLeft, DuplicateEmployee, ExitCommand, HireRejected, check_exit

EMPLOYEE_ID = "0b5e8f0a-3c1d-4a8e-b1f2-6d7c8e9f0a12"


def test_a_present_nir_is_a_conflict_naming_the_employee_and_a_hire_refusal_for_the_pages():
    refused = DuplicateEmployee(EMPLOYEE_ID)
    assert isinstance(refused, Conflict) and isinstance(refused, HireRejected)
    assert (refused.status, refused.reason, refused.existing_id) == (409, "employee_already_present", EMPLOYEE_ID)
    assert refused.errors == {"nir": "Un salarié présent dans l'entreprise porte déjà ce numéro de sécurité sociale."}
    assert "1" not in str(refused)  # str() names the field, never a number typed


def test_a_second_exit_is_a_conflict_whatever_else_the_form_says():
    with pytest.raises(AlreadyLeft) as refused:
        check_exit(
            ExitCommand(exit_date=None, reason="inconnu"),
            hire_date=date(2020, 1, 6),
            already_left=date(2025, 6, 30),
            employee_id=EMPLOYEE_ID,
        )
    assert (refused.value.status, refused.value.reason, refused.value.existing_id) == (
        409,
        "employee_already_left",
        EMPLOYEE_ID,
    )
    assert refused.value.errors == {"exit_date": "Ce salarié est déjà sorti."}


def test_a_first_exit_with_mistakes_is_still_an_ordinary_422():
    with pytest.raises(HireRejected) as refused:
        check_exit(ExitCommand(exit_date=None, reason="inconnu"), hire_date=date(2020, 1, 6), already_left=None)
    assert not isinstance(refused.value, Conflict) and refused.value.status == 422
    assert set(refused.value.errors) == {"exit_date", "reason"}
