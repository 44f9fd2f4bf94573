"""Every visit the rules can make due has its request on « Mes rendez-vous », and pré-reprise never does."""

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from portal_common.clock import today
from portal_common.testing import make_principal
from scheduling.models import EmployeeDirectoryEntry, VisitObligation, VisitRequest
from scheduling.obligations.rules import RULES, EmployeeFacts, VisitHistory, compute_obligations

pytestmark = pytest.mark.integration

TODAY = today()
RECENT = TODAY - timedelta(days=30)
LONG_AGO = TODAY - timedelta(days=6 * 365)
# Facts under which each rule of the table holds (the test checks the rules do produce it).
FACTS = {
    "vip_avant_affectation": dict(category="SI", before_assignment=True),
    "vip_apprenti": dict(category="SI", apprentice=True),
    "vip_initiale": dict(category="SI"),
    "examen_aptitude": dict(category="SIR"),
    "periodique_si": dict(category="SI", history=VisitHistory(last_follow_up_on=LONG_AGO)),
    "periodique_sia": dict(category="SIA", history=VisitHistory(last_follow_up_on=LONG_AGO)),
    "periodique_sir": dict(
        category="SIR", history=VisitHistory(last_follow_up_on=LONG_AGO, last_medical_on=LONG_AGO - timedelta(days=30))
    ),
    "intermediaire_sir": dict(
        category="SIR", history=VisitHistory(last_follow_up_on=LONG_AGO, last_medical_on=LONG_AGO)
    ),
    "mi_carriere": dict(category="SI", history=VisitHistory(last_follow_up_on=RECENT)),
    "post_exposition": dict(category="SI", sir_ended_on=RECENT, history=VisitHistory(last_follow_up_on=RECENT)),
}


def facts_for(rule: str) -> EmployeeFacts:
    given = dict(FACTS[rule])
    category = given.pop("category")
    # Turning 45 this year: the mid-career visit is due whatever else holds.
    return EmployeeFacts(
        birth_date=date(TODAY.year - 45, 3, 1),
        hire_date=RECENT if "history" not in given else LONG_AGO - timedelta(days=400),
        category=category,
        category_since=RECENT if rule == "examen_aptitude" else LONG_AGO - timedelta(days=400),
        **given,
    )


def csrf(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.fixture
def employer(directory):
    return make_principal(member_id=directory.member_a, roles=("convocation",))


def test_the_table_covers_every_rule():
    assert set(FACTS) == {rule.code for rule in RULES}


@pytest.mark.parametrize("rule", [rule.code for rule in RULES])
def test_each_obligation_the_rules_can_make_due_links_to_a_request_of_its_visit(service, directory, employer, rule):
    facts = facts_for(rule)
    [obligation] = [o for o in compute_obligations(facts) if o.rule == rule]
    with service.portal.db.session_factory() as session:
        entry = session.get(EmployeeDirectoryEntry, directory.bernard)
        entry.monitoring_category, entry.sir_ended_on = facts.category, facts.sir_ended_on
        session.execute(delete(VisitObligation).where(VisitObligation.employee_id == directory.bernard))
        session.add(
            VisitObligation(
                id=str(uuid.uuid4()),
                employee_id=directory.bernard,
                member_id=directory.member_a,
                rule=rule,
                visit_type=obligation.visit_type,
                due_on=obligation.due_on,
                before_post=obligation.before_post,
            )
        )
        session.commit()
    client, headers = service.client(), service.headers(employer)
    page = client.get(f"/rendez-vous?salarie={directory.bernard}", headers=headers).text
    table = page.split('<h2 id="obligations">')[1].split("</table>")[0]
    [link] = re.findall(r'href="(/rendez-vous/demande\?[^"]+)"', table)
    link = link.replace("&amp;", "&")
    assert link == f"/rendez-vous/demande?salarie={directory.bernard}&type={obligation.visit_type}"
    form = client.get(link, headers=headers)
    assert form.status_code == 200
    assert f'<option value="{obligation.visit_type}" selected>' in form.text
    sent = client.post(
        "/rendez-vous/demande",
        headers=headers,
        data=dict(csrf_token=csrf(form.text), employee_id=directory.bernard, visit_type=obligation.visit_type),
    )
    assert sent.status_code == 302, sent.text
    with service.portal.db.session_factory() as session:
        [asked] = session.scalars(select(VisitRequest.visit_type).where(VisitRequest.employee_id == directory.bernard))
    assert asked == obligation.visit_type
    after = client.get(f"/rendez-vous?salarie={directory.bernard}", headers=headers).text
    table = after.split('<h2 id="obligations">')[1].split("</table>")[0]
    assert "Demandée" in table and "/rendez-vous/demande?" not in table


def test_pre_reprise_is_never_offered_and_refused_in_french_on_the_page_and_the_api(service, directory, employer):
    client, headers = service.client(), service.headers(employer)
    form = client.get(f"/rendez-vous/demande?salarie={directory.dupont}&type=pre_reprise", headers=headers)
    assert 'value="pre_reprise"' not in form.text
    refused = client.post(
        "/rendez-vous/demande",
        headers=headers,
        data=dict(csrf_token=csrf(form.text), employee_id=directory.dupont, visit_type="pre_reprise"),
    )
    assert refused.status_code == 422
    assert "pas par l&#39;employeur (R4624-29)" in refused.text
    api = client.post(
        "/api/scheduling/requests",
        json=dict(employee_id=directory.dupont, visit_type="pre_reprise"),
        headers=service.headers(employer),
    )
    assert api.status_code == 422
    assert "médecin-conseil, pas par l'employeur" in api.json["errors"]["json"]["visit_type"]
    with service.portal.db.session_factory() as session:
        assert session.scalars(select(VisitRequest)).all() == []


def test_an_aptitude_exam_is_asked_only_for_a_post_in_reinforced_follow_up(service, directory, employer):
    api = service.client().post(
        "/api/scheduling/requests",
        json=dict(employee_id=directory.dupont, visit_type="aptitude"),
        headers=service.headers(employer),
    )
    assert api.status_code == 422
    assert "suivi individuel renforcé (R4624-24)" in api.json["errors"]["json"]["visit_type"]
