"""JSON API of the workforce service (/api/workforce/)."""

from __future__ import annotations

import logging

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from portal_common.access import member_or_staff, require_principal
from portal_common.api import Blueprint, expected_version, total_count, total_count_declaration, version_etag
from portal_common.clock import today
from portal_common.errors import FieldErrors
from portal_common.roles import EMPLOYEE_KEEPERS, EMPLOYEE_READERS, EVERY_STAFF_ROLE, OFFICE_STAFF
from portal_common.service import portal
from portal_common.validators import compact

from ..directory.queries import get_member_entry
from ..models import Employee
from . import queries, use_cases
from .rules import ExitCommand, HireCommand, PostChange, StaleEmployee, nir_to_find
from .schemas import (
    EmployeeCorrectionSchema,
    EmployeeCreateSchema,
    EmployeeListArgsSchema,
    EmployeeSchema,
    EmployeeSearchSchema,
    ExitSchema,
    HistorySchema,
    PostChangeSchema,
)

blp = Blueprint("workforce_api", __name__, url_prefix="/api/workforce", description="Employees of member companies")

log = logging.getLogger(__name__)

editors = member_or_staff(member_roles=EMPLOYEE_KEEPERS, staff_roles=OFFICE_STAFF)


def _hiring_company(requested: str | None) -> str:
    """The company a hire is for: always the current one for member users; staff may name another."""
    principal = require_principal()
    if not principal.is_staff:
        if requested is not None:
            # Members never choose the company: the field is not part of their body at all.
            raise FieldErrors({"member_id": ["Unknown field."]})
        return principal.member_id
    member_id = requested or principal.member_id
    if member_id is None:
        raise FieldErrors({"member_id": ["Required for staff without a current member company."]})
    if requested is not None and get_member_entry(requested) is None:
        raise FieldErrors({"member_id": ["Unknown member company."]})
    return member_id


def _visible(employee_id: str) -> Employee:
    employee = queries.visible_employee(employee_id, require_principal())
    if employee is None:  # another company's employee answers 404, exactly like a missing one
        abort(404, message="Salarié introuvable.")
    return employee


def _shown(saved: use_cases.Saved) -> dict:
    return dict(queries.employee_as_dict(saved.employee, today()), warnings=saved.warnings)


@blp.route("/employees")
class Employees(MethodView):
    @member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
    @blp.arguments(EmployeeListArgsSchema, location="query")
    @blp.response(200, EmployeeSchema(many=True), headers=total_count_declaration("employees"))
    def get(self, args):
        """List the employees of the current company (staff: of `member_id`, or of every company)"""
        principal = require_principal()
        member_id = (args["member_id"] or principal.member_id) if principal.is_staff else principal.member_id
        day = today()
        filters = queries.EmployeeFilter(
            status=args["status"],
            letter=args["letter"],
            query=args["q"],
            category=args["category"],
            contract=args["contract"],
            sort=args["sort"],
        )
        if args["page"] is None:
            offset, limit = 0, queries.LIST_LIMIT
        else:
            offset, limit = (args["page"] - 1) * args["page_size"], args["page_size"]
        rows = queries.list_employees(member_id, filters, day, offset=offset, limit=limit)
        total = queries.count_employees(member_id, filters, day)
        return [queries.employee_as_dict(e, day) for e in rows], 200, total_count(total)

    @editors
    @blp.arguments(EmployeeCreateSchema)
    @blp.response(201, EmployeeSchema)
    def post(self, data):
        """Declare a hire in the current company; publishes workforce.employee.hired.v1"""
        member_id = _hiring_company(data.pop("member_id"))
        saved = use_cases.hire_employee(portal(), member_id, HireCommand(**data), actor=require_principal().user_id)
        return _shown(saved)


@blp.route("/employees/search")
# Also the rule of the OPTIONS request Flask answers for this POST-only resource.
@member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
class EmployeeSearch(MethodView):
    @member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
    @blp.arguments(EmployeeSearchSchema)
    @blp.response(200, EmployeeSchema(many=True))
    def post(self, data):
        """Find employees by NIR, present and left (a NIR goes in the body, never in a URL)"""
        principal = require_principal()
        member_id = (data["member_id"] or principal.member_id) if principal.is_staff else principal.member_id
        nir, problem = nir_to_find(compact(data["nir"]))
        if nir is None:
            raise FieldErrors({"nir": [problem]})
        found = queries.employees_with_nir(member_id, portal().settings.nir_vault.blind_index(nir))
        # An access by NIR: who and how many, never the number (docs/security.md AZ-08).
        log.info("employees searched by NIR", extra={"user_id": principal.user_id, "found": len(found)})
        day = today()
        return [queries.employee_as_dict(e, day) for e in found]


ETAG_HEADERS = {"ETag": {"schema": {"type": "string"}, "description": "The employee's version, for If-Match"}}
IF_MATCH_REQUIRED = "En-tête If-Match obligatoire : renvoyez l'ETag de la fiche que vous avez lue."
STALE = "La fiche du salarié a été modifiée depuis que vous l'avez lue : relisez-la avant de la corriger."


def etag_of(employee: Employee) -> dict[str, str]:
    return {"ETag": version_etag(employee.version)}


def _expected_version() -> int | None:
    return expected_version(required=IF_MATCH_REQUIRED, stale=STALE)


@blp.route("/employees/<string:employee_id>")
class EmployeeById(MethodView):
    @member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
    @blp.response(200, EmployeeSchema, headers=ETAG_HEADERS)
    def get(self, employee_id):
        """One employee: staff, or a user of the employee's company; its ETag is its version"""
        employee = _visible(employee_id)
        return queries.employee_as_dict(employee, today()), 200, etag_of(employee)

    @editors
    @blp.arguments(EmployeeCorrectionSchema)
    @blp.response(200, EmployeeSchema, headers=ETAG_HEADERS)
    @blp.alt_response(412, description="The record changed since it was read (If-Match stale)")
    @blp.alt_response(428, description="If-Match missing")
    def put(self, data, employee_id):
        """Correct the record (the whole of it; without `nir` the stored one is kept); needs If-Match with the
        ETag read; publishes workforce.employee.updated.v1"""
        employee = _visible(employee_id)
        expected = _expected_version()
        try:
            saved = use_cases.correct_employee(
                portal(),
                employee.id,
                HireCommand(**data),
                actor=require_principal().user_id,
                expected_version=expected,
            )
        except StaleEmployee:
            abort(412, message=STALE)
        return _shown(saved), 200, etag_of(saved.employee)


@blp.route("/employees/<string:employee_id>/post-changes")
@editors  # also the rule of the OPTIONS request Flask answers for this POST-only resource
class PostChanges(MethodView):
    @editors
    @blp.arguments(PostChangeSchema)
    @blp.response(201, EmployeeSchema)
    @blp.alt_response(412, description="If-Match sent and the record changed since it was read")
    def post(self, data, employee_id):
        """A new post from a date, kept in the history; publishes workforce.employee.updated.v1 and .post_changed.
        If-Match (the ETag read) is checked when sent: two changes based on one reading record one."""
        employee = _visible(employee_id)
        expected = _expected_version() if request.headers.get("If-Match") else None
        try:
            changed = use_cases.change_post(
                portal(), employee.id, PostChange(**data), actor=require_principal().user_id, expected_version=expected
            )
        except StaleEmployee:
            abort(412, message=STALE)
        return queries.employee_as_dict(changed, today()), 201, etag_of(changed)


@blp.route("/employees/<string:employee_id>/exit")
@editors  # also the rule of the OPTIONS request Flask answers for this POST-only resource
class Exit(MethodView):
    @editors
    @blp.arguments(ExitSchema)
    @blp.response(200, EmployeeSchema)
    def post(self, data, employee_id):
        """The employee leaves; publishes workforce.employee.exited.v1 (was_reinforced when under SIR)"""
        employee = _visible(employee_id)
        exited = use_cases.exit_employee(portal(), employee.id, ExitCommand(**data), actor=require_principal().user_id)
        return queries.employee_as_dict(exited, today())


@blp.route("/employees/<string:employee_id>/history")
class History(MethodView):
    @member_or_staff(EMPLOYEE_READERS, EVERY_STAFF_ROLE)
    @blp.response(200, HistorySchema(many=True))
    def get(self, employee_id):
        """Hire, corrections, posts and exit of one employee, oldest first"""
        return [queries.history_as_dict(item) for item in queries.history_of(_visible(employee_id).id)]
