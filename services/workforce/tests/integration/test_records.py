"""Correcting, moving and exiting employees through the API: events, history, NIR at rest, isolation."""

from datetime import date

import pytest
from sqlalchemy import text

from portal_common.config import SettingsError
from portal_common.messaging import catalogue
from portal_common.testing import make_principal
from portal_common.testing.identities import identity
from workforce.config import Settings
from workforce.models import Employee

pytestmark = pytest.mark.integration

COMPANY_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
COMPANY_B = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
NIR = "255081416802538"
VALID = {
    "last_name": "Dupont",
    "birth_name": "Martin",
    "first_names": "Marie",
    "sex": "F",
    "birth_date": "1955-08-14",
    "nir": NIR,
    "hire_date": "2024-03-01",
    "post": "Cariste",
    "contract": "CDI",
    "determinants": ["cmr"],
    "birth_commune": "14118",
}
# The places of birth the fixed NIRs below carry (characters 6 to 10): Pianottoli-Caldarello, Greece.
IN_CORSICA = {"birth_commune": "2A215", "birth_country": None}
IN_GREECE = {"birth_commune": None, "birth_country": "99126"}
ADMIN_A = make_principal(member_id=COMPANY_A, roles=("admin",))
READER_A = make_principal(member_id=COMPANY_A, roles=("read",))
ADMIN_B = make_principal(member_id=COMPANY_B, roles=("admin",))


def hire(service, **overrides):
    response = service.client().post(
        "/api/workforce/employees", json=dict(VALID, **overrides), headers=service.headers(ADMIN_A)
    )
    assert response.status_code == 201, response.json
    return response.json


def test_the_category_is_computed_from_the_determinants_with_its_reasons(service):
    body = hire(service, determinants=["habilitation_electrique", "travail_nuit"])
    assert body["monitoring_category"] == "SIA" and body["determinants"] == ["travail_nuit", "habilitation_electrique"]
    assert [r["reference"] for r in body["category_reasons"]] == ["art. L3122-5 et R4624-18", "art. R4544-10"]
    [event] = service.events()
    assert event.data["monitoring_category"] == "SIA"


def test_a_category_can_no_longer_be_typed_in(service):
    response = service.client().post(
        "/api/workforce/employees", json=dict(VALID, monitoring_category="SI"), headers=service.headers(ADMIN_A)
    )
    assert response.status_code == 422 and "monitoring_category" in response.json["errors"]["json"]


def test_the_nir_is_encrypted_at_rest_and_found_again_for_duplicates(service):
    created = hire(service)
    with service.portal.db.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM employee")) for v in row)
    assert NIR not in dump
    with service.portal.db.session_factory() as session:
        stored = session.get(Employee, created["id"])
    assert stored.nir_encrypted.startswith("test1:")
    assert service.portal.settings.nir_vault.decrypt(stored.nir_encrypted, stored.id) == NIR
    again = service.client().post(
        "/api/workforce/employees", json=dict(VALID, nir="2 55 08 14 168 025 38"), headers=service.headers(ADMIN_A)
    )
    assert again.status_code == 409 and again.json["existing_id"] == created["id"]
    assert again.json["errors"]["json"] == {
        "nir": "Un salarié présent dans l'entreprise porte déjà ce numéro de sécurité sociale."
    }
    # Another company may employ the same person.
    other = service.client().post("/api/workforce/employees", json=VALID, headers=service.headers(ADMIN_B))
    assert other.status_code == 201


def test_a_nir_disagreeing_with_the_sex_is_refused_at_hire_and_nothing_is_saved(service):
    response = service.client().post(
        "/api/workforce/employees",
        json=dict(VALID, sex="M", last_name="Durand", birth_name=None),
        headers=service.headers(ADMIN_A),
    )
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "sex": "Le numéro de sécurité sociale commence par 2 (1 ou 7 pour un homme, 2 ou 8 pour une femme) : il ne "
        "correspond pas au sexe déclaré. Corrigez le sexe ou le numéro."
    }
    with service.portal.db.session_factory() as session:
        assert session.query(Employee).count() == 0
    assert service.events() == []


def test_correcting_the_record_publishes_the_updated_event_without_the_nir(service):
    created = hire(service)
    response = service.client().put(
        f"/api/workforce/employees/{created['id']}",
        json=dict(VALID, first_names="Marie Claire", determinants=["travail_nuit"]),
        headers={**service.headers(ADMIN_A), "If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert (response.json["first_names"], response.json["monitoring_category"], response.json["version"]) == (
        "Marie Claire",
        "SIA",
        2,
    )
    hired, updated = service.events()
    assert updated.type == "workforce.employee.updated.v1" and updated.data["version"] == 2
    catalogue.validate(updated)
    assert NIR not in updated.to_json() and NIR not in hired.to_json()


def test_a_new_post_is_kept_in_the_history_and_published(service):
    created = hire(service)
    client, headers = service.client(), service.headers(ADMIN_A)
    response = client.post(
        f"/api/workforce/employees/{created['id']}/post-changes",
        headers=headers,
        json={
            "post": "Chef d'équipe",
            "pcs_code": "480a",
            "from_date": "2025-01-06",
            "determinants": ["autorisation_conduite"],
        },
    )
    assert response.status_code == 201, response.json
    assert (response.json["post"], response.json["post_since"], response.json["monitoring_category"]) == (
        "Chef d'équipe",
        "2025-01-06",
        "SIA",
    )
    history = client.get(f"/api/workforce/employees/{created['id']}/history", headers=headers).json
    assert [(h["kind"], h["post"], h["monitoring_category"]) for h in history] == [
        ("hired", "Cariste", "SIR"),
        ("post_changed", "Chef d'équipe", "SIA"),
    ]
    updated, post_changed = service.events()[-2:]
    assert (updated.type, updated.data["post"], updated.data["monitoring_category"]) == (
        "workforce.employee.updated.v1",
        "Chef d'équipe",
        "SIA",
    )
    catalogue.validate(updated)
    assert (post_changed.type, post_changed.data["previous_post"], post_changed.data["from_date"]) == (
        "workforce.employee.post_changed.v1",
        "Cariste",
        "2025-01-06",
    )
    bad = client.post(
        f"/api/workforce/employees/{created['id']}/post-changes",
        headers=headers,
        json={"post": "Autre", "from_date": "2025-01-06"},
    )
    assert bad.status_code == 422 and "from_date" in bad.json["errors"]["json"]
    assert len(service.events()) == 3


def test_the_exit_of_a_sir_worker_tells_scheduling_a_post_exposure_visit_is_due(service):
    created = hire(service)
    client, headers = service.client(), service.headers(ADMIN_A)
    refused = client.post(
        f"/api/workforce/employees/{created['id']}/exit",
        headers=headers,
        json={"exit_date": "2024-02-01", "reason": "retraite"},
    )
    assert refused.status_code == 422
    assert refused.json["errors"]["json"] == {"exit_date": "La date de sortie ne peut pas précéder la date d'embauche."}
    response = client.post(
        f"/api/workforce/employees/{created['id']}/exit",
        headers=headers,
        json={"exit_date": "2025-06-30", "reason": "retraite"},
    )
    assert response.status_code == 200 and response.json["exit_reason"] == "retraite"
    exited = service.events()[-1]
    assert exited.type == "workforce.employee.exited.v1"
    assert (exited.data["was_reinforced"], exited.data["exit_date"], exited.data["version"]) == (True, "2025-06-30", 2)
    catalogue.validate(exited)
    twice = client.post(
        f"/api/workforce/employees/{created['id']}/exit",
        headers=headers,
        json={"exit_date": "2025-07-30", "reason": "retraite"},
    )
    assert twice.status_code == 409 and twice.json["errors"]["json"] == {"exit_date": "Ce salarié est déjà sorti."}


def test_an_exit_outside_sir_is_not_reinforced(service):
    created = hire(service, determinants=[])
    service.client().post(
        f"/api/workforce/employees/{created['id']}/exit",
        headers=service.headers(ADMIN_A),
        json={"exit_date": "2025-06-30", "reason": "demission"},
    )
    assert service.events()[-1].data["was_reinforced"] is False


def test_a_leavers_hire_date_cannot_be_corrected_past_the_exit_and_nothing_is_saved(service):
    created = hire(service)
    client, headers = service.client(), service.headers(ADMIN_A)
    path = f"/api/workforce/employees/{created['id']}"
    assert (
        client.post(f"{path}/exit", headers=headers, json={"exit_date": "2025-06-30", "reason": "retraite"}).status_code
        == 200
    )
    at_exit = {**headers, "If-Match": '"2"'}
    refused = client.put(path, headers=at_exit, json=dict(VALID, hire_date="2025-07-01", post="Magasinier"))
    assert refused.status_code == 422
    assert refused.json["errors"]["json"]["hire_date"] == (
        "La date d'embauche ne peut pas suivre la date de sortie (30/06/2025)."
    )
    kept = client.get(path, headers=headers).json
    assert (kept["hire_date"], kept["post"], kept["version"]) == ("2024-03-01", "Cariste", created["version"] + 1)
    assert [e.type for e in service.events()] == ["workforce.employee.hired.v1", "workforce.employee.exited.v1"]
    assert client.put(path, headers=at_exit, json=dict(VALID, hire_date="2025-06-30")).status_code == 200


def test_another_companys_employee_is_404_on_every_endpoint_and_nothing_changes(service):
    created = hire(service)
    client, headers = service.client(), service.headers(ADMIN_B)
    path = f"/api/workforce/employees/{created['id']}"
    assert client.get(path, headers=headers).status_code == 404
    assert client.put(path, json=VALID, headers=headers).status_code == 404
    assert client.get(f"{path}/history", headers=headers).status_code == 404
    assert (
        client.post(f"{path}/post-changes", headers=headers, json={"post": "X", "from_date": "2025-01-06"}).status_code
        == 404
    )
    assert (
        client.post(f"{path}/exit", headers=headers, json={"exit_date": "2025-06-30", "reason": "retraite"}).status_code
        == 404
    )
    for page in ("", "/modifier", "/nouveau-poste", "/sortie"):
        assert client.get(f"/salaries/{created['id']}{page}", headers=headers).status_code == 404
    assert len(service.events()) == 1


def test_another_companys_employee_cannot_be_changed_through_the_page_forms_either(service):
    created = hire(service)
    client, headers = service.client(), service.headers(ADMIN_B)
    own_form = client.get("/salaries/nouveau", headers=headers)  # B's valid token: only the company check stops it
    token = own_form.text.split('name="csrf_token" value="')[1].split('"')[0]
    forms = {
        "modifier": dict(
            VALID,
            last_name="Pirate",
            nir="186022A21532523",
            sex="M",
            birth_date="1986-02-10",
            determinants=[],
            csrf_token=token,
            birth_commune="2A215",
        ),
        "nouveau-poste": {"post": "Pirate", "from_date": "2025-01-06", "csrf_token": token},
        "sortie": {"exit_date": "2025-06-30", "reason": "retraite", "csrf_token": token},
    }
    for page, form in forms.items():
        assert client.post(f"/salaries/{created['id']}/{page}", data=form, headers=headers).status_code == 404
    unchanged = service.client().get(f"/api/workforce/employees/{created['id']}", headers=service.headers(ADMIN_A))
    assert (unchanged.json["last_name"], unchanged.json["post"], unchanged.json["status"]) == (
        "DUPONT",
        "Cariste",
        "present",
    )
    assert len(service.events()) == 1


def test_readers_cannot_correct_move_or_exit(service):
    created = hire(service)
    client, headers = service.client(), service.headers(READER_A)
    path = f"/api/workforce/employees/{created['id']}"
    assert client.put(path, json=VALID, headers=headers).status_code == 403
    assert (
        client.post(f"{path}/exit", headers=headers, json={"exit_date": "2025-06-30", "reason": "retraite"}).status_code
        == 403
    )
    assert client.get(f"{path}/history", headers=headers).status_code == 200
    assert client.post(f"{path}/exit", json={"exit_date": "2025-06-30", "reason": "retraite"}).status_code == 401


def test_the_list_filters_by_category_and_contract_sorts_and_pages(service):
    hire(
        service,
        last_name="Alpha",
        nir="186022A21532523",
        sex="M",
        birth_date="1986-02-10",
        determinants=[],
        **IN_CORSICA,
    )
    hire(
        service,
        last_name="Bravo",
        nir="295109912611193",
        birth_date="1995-10-01",
        **IN_GREECE,
        determinants=["travail_nuit"],
        contract="CDD",
    )
    hire(service, last_name="Charlie", determinants=["amiante"])
    minor = hire(
        service,
        last_name="Delta",
        **identity("M", date(2009, 5, 1), "99350"),
        hire_date="2025-01-06",
        determinants=[],
        contract="apprentissage",
    )
    client, headers = service.client(), service.headers(ADMIN_A)

    def names(query):
        response = client.get(f"/api/workforce/employees?{query}", headers=headers)
        return [e["last_name"] for e in response.json], response.headers["X-Total-Count"]

    assert names("category=SIA") == (["BRAVO", "DELTA"], "2")  # Delta is under 18
    assert names("category=SI") == (["ALPHA"], "1")
    assert names("category=SIR") == (["CHARLIE"], "1")
    assert names("contract=CDD") == (["BRAVO"], "1")
    assert names("sort=-name&page=1&page_size=3") == (["DELTA", "CHARLIE", "BRAVO"], "4")
    assert names("sort=-name&page=2&page_size=3") == (["ALPHA"], "4")
    assert names("sort=-birth_date&page_size=1&page=1") == (["DELTA"], "4")
    assert (
        client.get(f"/api/workforce/employees/{minor['id']}", headers=headers).json["category_reasons"][0]["label"]
        == "Salarié de moins de 18 ans"
    )
    assert client.get("/api/workforce/employees?category=SIH", headers=headers).status_code == 422


def test_the_service_refuses_to_start_without_its_nir_keys(portal_env):
    environ = portal_env.environ("workforce", "sqlite:///:memory:")
    without = {k: v for k, v in environ.items() if k != "WORKFORCE_NIR_ENCRYPTION_KEY"}
    with pytest.raises(SettingsError, match="WORKFORCE_NIR_ENCRYPTION_KEY is required"):
        Settings.from_env(without)
    same = dict(environ, WORKFORCE_NIR_HASH_KEY=environ["PORTAL_INTERNAL_KEY"])
    with pytest.raises(ValueError, match="must differ"):
        Settings.from_env(same).nir_vault  # noqa: B018


@pytest.mark.parametrize(
    ("category", "label", "expected"),
    [
        ("SIA", "", ("SIA", "SIA")),
        ("SI", "", ("SI", "SI")),
        ("SIA", "SIH", ("SIA", "SIH")),
        ("SI", "SIH", ("SI", "SIH")),
    ],
)
def test_the_class_of_the_2025_determinants_is_the_services_configuration(
    service, portal_env, category, label, expected
):
    from workforce.app import create_app

    app = create_app(
        environ=portal_env.environ(
            "workforce",
            service.database_url,
            WORKFORCE_AUTHORISATION_CATEGORY=category,
            WORKFORCE_AUTHORISATION_LABEL=label,
        )
    )
    try:
        client, headers = app.test_client(), service.headers(ADMIN_A)
        for determinant in ("autorisation_conduite", "habilitation_electrique"):
            response = client.post(
                "/api/workforce/employees",
                headers=headers,
                json=dict(
                    VALID,
                    determinants=[determinant],
                    last_name=determinant.split("_")[0],
                    nir=_nir(f"2550814168{'025' if determinant[0] == 'a' else '026'}"),
                ),
            )
            assert response.status_code == 201, response.json
            body = response.json
            assert (body["monitoring_category"], body["category_label"]) == expected
            assert body["category_reasons"][0]["reference"] in ("art. R4323-56", "art. R4544-10")
        # Whatever the configuration, another SIA or a SIR reason decides and the local label goes.
        night = client.post(
            "/api/workforce/employees",
            headers=headers,
            json=dict(
                VALID,
                last_name="Nuit",
                nir="295109912611193",
                birth_date="1995-10-01",
                determinants=["habilitation_electrique", "travail_nuit"],
                **IN_GREECE,
            ),
        ).json
        assert (night["monitoring_category"], night["category_label"]) == ("SIA", "SIA")
        listed = client.get(f"/api/workforce/employees?category={expected[0]}", headers=headers).json
        assert {e["last_name"] for e in listed} >= {"AUTORISATION", "HABILITATION"}
    finally:
        app.extensions["portal"].db.dispose()


def _nir(first13: str) -> str:
    from portal_common.validators import nir_key

    return f"{first13}{nir_key(first13):02d}"
