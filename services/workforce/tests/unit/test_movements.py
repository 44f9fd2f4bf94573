"""NIR warnings (not refusals), NIA, a new post and an exit, without any database."""

from datetime import date

import pytest

from workforce.employees.rules import (
    ExitCommand,
    HireCommand,
    HireRejected,
    PostChange,
    check_correction,
    check_exit,
    check_hire,
    check_post_change,
    nir_warnings,
)

TODAY = date(2025, 6, 2)
SEX_MSG = "Le premier chiffre du numéro de sécurité sociale ne correspond pas au sexe déclaré."
YEAR_MSG = "L'année de naissance du numéro de sécurité sociale ne correspond pas à la date de naissance."
MONTH_MSG = "Le mois de naissance du numéro de sécurité sociale ne correspond pas à la date de naissance."


@pytest.mark.parametrize(
    ("nir", "sex", "birth", "expected"),
    [
        ("255081416802538", "F", date(1955, 8, 14), []),
        ("255081416802538", "M", date(1955, 8, 14), [SEX_MSG]),
        ("255081416802538", "F", date(1956, 8, 14), [YEAR_MSG]),
        ("255081416802538", "F", date(1955, 9, 14), [MONTH_MSG]),
        ("186022A21532523", "M", date(1986, 2, 10), []),
        ("785059912345695", "M", date(1985, 5, 1), []),  # a NIA (7 = man)
        ("785059912345695", "F", date(1985, 5, 1), [SEX_MSG]),
    ],
)
def test_the_nir_is_compared_with_sex_and_birth_year_and_month(nir, sex, birth, expected):
    assert nir_warnings(nir, sex, birth) == expected


def test_a_month_from_an_incomplete_civil_record_is_not_a_disagreement():
    assert nir_warnings("2552099123456" + "00", "F", date(1955, 8, 14)) == []


def test_a_nia_with_a_good_key_is_accepted_and_a_disagreement_is_not_a_refusal():
    command = HireCommand(
        last_name="Ndiaye",
        first_names="Awa",
        sex="F",
        birth_date=date(1990, 1, 1),
        nir="785059912345695",
        hire_date=date(2024, 1, 2),
        post="Agent",
        contract="CDI",
        birth_country="Sénégal",
    )
    assert check_hire(command, today=TODAY).nir == "785059912345695"


def change(**overrides):
    values = dict(post=" Chef d'équipe ", pcs_code="480A", from_date=date(2025, 5, 1), determinants=("travail_nuit",))
    values.update(overrides)
    return PostChange(**values)


def checked_change(command, exit_date=None):
    return check_post_change(
        command, current_from=date(2024, 3, 1), hire_date=date(2024, 3, 1), exit_date=exit_date, today=TODAY
    )


def test_a_new_post_is_normalised():
    result = checked_change(change())
    assert (result.post, result.pcs_code, result.determinants) == ("Chef d'équipe", "480a", ("travail_nuit",))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"from_date": None}, "from_date", "La date de début du nouveau poste est obligatoire (jj/mm/aaaa)."),
        (
            {"from_date": date(2025, 6, 3)},
            "from_date",
            "Le nouveau poste ne peut pas commencer dans le futur : déclarez-le à sa date.",
        ),
        (
            {"from_date": date(2024, 3, 1)},
            "from_date",
            "Le nouveau poste doit commencer après le début du poste actuel.",
        ),
        ({"post": " "}, "post", "Le poste de travail est obligatoire."),
        (
            {"determinants": ("sir_employeur",)},
            "sir_justification",
            "Justifiez l'ajout du poste à la liste SIR (motif lié au poste, jamais médical).",
        ),
    ],
)
def test_a_wrong_new_post_is_refused_in_french(overrides, field, message):
    with pytest.raises(HireRejected) as caught:
        checked_change(change(**overrides))
    assert caught.value.errors[field] == message


def test_a_new_post_cannot_start_after_the_exit():
    with pytest.raises(HireRejected) as caught:
        checked_change(change(), exit_date=date(2025, 4, 30))
    assert caught.value.errors == {"from_date": "Le nouveau poste ne peut pas commencer après la sortie du salarié."}


def test_an_exit_needs_a_date_after_hire_a_known_reason_and_only_once():
    assert check_exit(ExitCommand(date(2025, 5, 31), "retraite"), hire_date=date(2024, 3, 1), already_left=None)
    with pytest.raises(HireRejected) as caught:
        check_exit(ExitCommand(date(2024, 2, 1), "vacances"), hire_date=date(2024, 3, 1), already_left=None)
    assert caught.value.errors == {
        "exit_date": "La date de sortie ne peut pas précéder la date d'embauche.",
        "reason": "Choisissez le motif de sortie.",
    }
    with pytest.raises(HireRejected) as caught:
        check_exit(
            ExitCommand(date(2025, 5, 31), "retraite"), hire_date=date(2024, 3, 1), already_left=date(2025, 1, 31)
        )
    assert caught.value.errors == {"exit_date": "Ce salarié est déjà sorti."}


def test_a_leaver_s_record_cannot_be_corrected_to_a_hire_after_the_exit():
    hire = HireCommand(
        last_name="Dupont",
        first_names="Marie",
        sex="F",
        birth_date=date(1955, 8, 14),
        nir="255081416802538",
        hire_date=date(2025, 2, 1),
        post="Vendeuse",
        contract="CDI",
    )
    assert check_correction(hire, exit_date=None) is hire
    assert check_correction(hire, exit_date=date(2025, 2, 1)) is hire  # a one-day contract
    with pytest.raises(HireRejected) as caught:
        check_correction(hire, exit_date=date(2025, 1, 31))
    assert caught.value.errors == {"hire_date": "La date d'embauche ne peut pas suivre la date de sortie (31/01/2025)."}
