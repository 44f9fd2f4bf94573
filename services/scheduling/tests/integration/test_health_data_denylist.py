"""DP-11: no table, column, event schema, OpenAPI field or employer response of scheduling carries health data."""

import re
from datetime import timedelta

import pytest

from portal_common.clock import utcnow
from portal_common.messaging import catalogue
from portal_common.testing import make_principal
from scheduling import events
from scheduling.appointments.rules import Place, ScheduleCommand
from scheduling.appointments.use_cases import schedule_appointment
from scheduling.documents.use_cases import publish_document
from scheduling.models import Base

pytestmark = pytest.mark.integration

# docs/security.md DP-11: diagnosis, aptitude reasons, restrictions, RQTH/handicap, pregnancy, exposure-based medical
# surveillance reasons, sick leave — in English and French, as fragments of a field name.
DENYLIST = (
    "diagnos",
    "patholog",
    "aptitude_reason",
    "inaptitude_reason",
    "reason_medical",
    "medical_reason",
    "restriction",
    "rqth",
    "handicap",
    "disab",
    "pregnan",
    "grossesse",
    "maternit",
    "sick_leave",
    "sickness",
    "arret_maladie",
    "maladie",
    "illness",
    "exposure_reason",
    "surveillance_reason",
    "treatment",
    "traitement",
    "medication",
    "symptom",
    "health_condition",
    "dmst",
    "medical_file",
)


def denylisted(names):
    return sorted(n for n in names if any(fragment in n.lower() for fragment in DENYLIST))


def json_keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from json_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_keys(item)


def test_the_check_itself_catches_a_health_field():
    assert denylisted(["employee_id", "sick_leave_days", "Diagnosis", "rqth"]) == [
        "Diagnosis",
        "rqth",
        "sick_leave_days",
    ]


def test_no_table_or_column_is_named_as_health_data():
    names = [t.name for t in Base.metadata.tables.values()]
    names += [c.name for t in Base.metadata.tables.values() for c in t.columns]
    assert denylisted(names) == []


def test_no_event_scheduling_publishes_carries_a_health_field():
    for event_type in events.PUBLISHED:
        assert denylisted(catalogue.property_names(catalogue.data_schema(event_type))) == [], event_type


def test_no_openapi_field_is_named_as_health_data(service):
    document = service.client().get("/api/scheduling/openapi.json").json
    names = set(json_keys(document.get("components", {}).get("schemas", {})))
    names |= {
        p["name"]
        for path in document["paths"].values()
        for op in path.values()
        if isinstance(op, dict)
        for p in op.get("parameters", [])
    }
    assert names and denylisted(names) == []


def test_the_employers_responses_carry_no_health_field(service, directory):
    employer = make_principal(member_id=directory.member_a, roles=("admin",))
    headers = service.headers(employer)
    client = service.client()
    client.post(
        "/api/scheduling/requests",
        headers=headers,
        json={
            "employee_id": directory.dupont,
            "visit_type": "reprise",
            "return_date": (utcnow() + timedelta(days=2)).date().isoformat(),
            "constraints": "Absent le mercredi",
        },
    )
    seen = schedule_appointment(
        service.portal,
        ScheduleCommand(
            member_id=directory.member_a,
            employee_id=directory.bernard,
            starts_at=utcnow() - timedelta(days=1),
            duration_minutes=30,
            visit_type="aptitude",
            place=Place("Centre", "1 rue A, 68100 Mulhouse"),
            professional_kind="medecin",
            status="realisee",
            allow_past=True,
        ),
    )
    publish_document(service.portal, seen.id, "avis_inaptitude", b"%PDF-1.4\n%%EOF\n")
    keys = set()
    for path in (
        "/api/scheduling/appointments?when=all",
        "/api/scheduling/obligations",
        "/api/scheduling/requests",
        "/api/scheduling/documents",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and response.json, path
        keys |= set(json_keys(response.json))
    assert {"employee_id", "visit_type", "due_on"} <= keys
    assert denylisted(keys) == []
    # The page shows no reason either: only dates, types and statuses.
    page = client.get("/rendez-vous", headers=headers).text.lower()
    assert not re.search(r"\b(diagnostic|pathologie|rqth|handicap|grossesse)\b", page)
