"""Pages of the annual headcount declaration: "Déclarer vos effectifs" (members) and the campaigns (staff)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import member, require_principal, staff
from portal_common.clock import today
from portal_common.roles import EMPLOYEE_KEEPERS, EMPLOYEE_READERS, EVERY_STAFF_ROLE, OFFICE_STAFF
from portal_common.service import portal
from portal_common.web import accepts

from ..employees.rules import CATEGORIES
from ..employees.rules.labels import CATEGORY_LABELS
from ..web import date_or_none
from . import clients, queries, use_cases
from .rules import (
    STATUS_CODES,
    STATUS_LABELS,
    CampaignCommand,
    CampaignRejected,
    CampaignStatus,
    DeclarationEntry,
    DeclarationRefused,
    DeclarationRejected,
    StaleDeclaration,
    default_window,
)

declaration_pages = Blueprint("workforce_declarations", __name__)

STALE_MESSAGE = (
    "Cette déclaration a été enregistrée par une autre personne (par exemple votre expert-comptable) "
    "depuis que vous l'avez ouverte : vos chiffres n'ont pas été enregistrés. Voici la déclaration à "
    "jour ; reprenez vos corrections si besoin."
)


def _number(raw: str | None) -> int | None:
    """A count typed in the form ('1 200' allowed); None when it is not a whole number from 0."""
    text = "".join((raw or "").split())
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _entry(form) -> DeclarationEntry:
    return DeclarationEntry(
        headcount={c: _number(form.get(f"headcount_{c}")) for c in CATEGORIES},
        multi_employer={c: _number(form.get(f"multi_employer_{c}")) for c in CATEGORIES},
        justifications={c: form.get(f"justification_{c}", "").strip()[:2000] for c in CATEGORIES},
    )


def _form_values(form) -> dict:
    """What was typed, shown back as typed next to the errors."""
    return {
        name: form.get(name, "")
        for c in CATEGORIES
        for name in (f"headcount_{c}", f"multi_employer_{c}", f"justification_{c}")
    }


def _stored_values(shown: dict) -> dict:
    values = {}
    for c in CATEGORIES:
        values[f"headcount_{c}"] = str(shown["headcount"][c])
        values[f"multi_employer_{c}"] = str(shown["multi_employer"][c])
        values[f"justification_{c}"] = shown["justifications"][c] or ""
    return values


def _campaign_or_404(year: int):
    campaign = queries.campaign_of(year)
    if campaign is None:
        abort(404)
    return campaign


@declaration_pages.get("/salaries/declarations")
@member(*EMPLOYEE_READERS)
def declaration_list():
    principal = require_principal()
    return render_template(
        "workforce/declarations.html",
        declarations=queries.member_declarations(principal.member_id, today()),
        can_declare=principal.has_member_role(*EMPLOYEE_KEEPERS),
        page_title="Déclarer vos effectifs",
    )


def _declaration_page(
    year: int, *, values: dict | None = None, errors: dict | None = None, version: int | None = None, status: int = 200
):
    principal = require_principal()
    campaign = _campaign_or_404(year)
    shown = queries.declaration_as_dict(
        campaign, queries.declaration_row(campaign, principal.member_id), principal.member_id, today()
    )
    editable = shown["editable"] and principal.has_member_role(*EMPLOYEE_KEEPERS)
    template = "workforce/declaration_form.html" if editable else "workforce/declaration.html"
    return render_template(
        template,
        d=shown,
        values=values or _stored_values(shown),
        errors=errors or {},
        version=shown["version"] if version is None else version,
        categories=CATEGORIES,
        category_names=CATEGORY_LABELS,
        page_title=f"Déclaration des effectifs {year}",
    ), status


@declaration_pages.get("/salaries/declarations/<int(min=2000, max=2100):year>")
@member(*EMPLOYEE_READERS)
def declaration(year: int):
    return _declaration_page(year)


@declaration_pages.post("/salaries/declarations/<int(min=2000, max=2100):year>")
@accepts(multiline=tuple(f"justification_{c}" for c in CATEGORIES))
@member(*EMPLOYEE_KEEPERS)
def declaration_save(year: int):
    principal = require_principal()
    _campaign_or_404(year)
    confirming = request.form.get("action") == "confirm"
    version = _number(request.form.get("version"))
    use_case = use_cases.confirm_declaration if confirming else use_cases.save_declaration
    try:
        # A form without its version is never taken for the latest one: -1 matches no saved version.
        use_case(
            portal(),
            principal.member_id,
            year,
            _entry(request.form),
            expected_version=-1 if version is None else version,
            actor=principal.user_id,
        )
    except DeclarationRefused as exc:
        flash(exc.reason, "error")
        return _declaration_page(year, status=409)
    except StaleDeclaration:
        flash(STALE_MESSAGE, "error")
        return _declaration_page(year, status=409)
    except DeclarationRejected as exc:
        flash("La déclaration contient des erreurs : corrigez les champs signalés. Rien n'a été enregistré.", "error")
        return _declaration_page(
            year, values=_form_values(request.form), errors=exc.errors, version=version, status=422
        )
    if confirming:
        flash(f"Votre déclaration des effectifs {year} est confirmée. Vous pouvez l'imprimer.", "success")
    else:
        flash(
            "Brouillon enregistré : votre déclaration est « En cours ». Confirmez-la avant la date limite.", "success"
        )
    return redirect(f"/salaries/declarations/{year}")


@declaration_pages.get("/salaries/declarations/<int(min=2000, max=2100):year>/impression")
@member(*EMPLOYEE_READERS)
def declaration_print(year: int):
    principal = require_principal()
    campaign = _campaign_or_404(year)
    shown = queries.declaration_as_dict(
        campaign, queries.declaration_row(campaign, principal.member_id), principal.member_id, today()
    )
    return render_template(
        "workforce/declaration_print.html",
        d=shown,
        categories=CATEGORIES,
        category_names=CATEGORY_LABELS,
        today=today(),
        page_title=f"Déclaration des effectifs {year}",
    )


# --- staff --------------------------------------------------------------------------------------------------


def _campaigns_page(values: dict, errors: dict, status: int = 200):
    day = today()
    rows = []
    for campaign in queries.all_campaigns():
        counts, _ = queries.progress(campaign, day)
        rows.append((queries.campaign_as_dict(campaign), counts))
    return render_template(
        "workforce/campaigns.html",
        campaigns=rows,
        values=values,
        errors=errors,
        status_codes=STATUS_CODES,
        status_labels=STATUS_LABELS,
        can_manage=bool(require_principal().staff_roles & set(OFFICE_STAFF)),
        page_title="Campagnes de déclaration des effectifs",
    ), status


def _default_values() -> dict:
    day = today()
    year = day.year + (1 if day.month >= 2 else 0)
    opens_on, closes_on, deadline = default_window(year)
    return {
        "year": str(year),
        "opens_on": opens_on.isoformat(),
        "closes_on": closes_on.isoformat(),
        "deadline": deadline.isoformat(),
    }


@declaration_pages.get("/gestion/salaries/campagnes")
@staff(*EVERY_STAFF_ROLE)
def campaign_list():
    return _campaigns_page(_default_values(), {})


@declaration_pages.post("/gestion/salaries/campagnes")
@staff(*OFFICE_STAFF)
def campaign_open():
    form = request.form
    values = {name: form.get(name, "").strip() for name in ("year", "opens_on", "closes_on", "deadline")}
    errors: dict[str, str] = {}
    year = _number(values["year"])
    dates = {}
    for name in ("opens_on", "closes_on", "deadline"):
        dates[name] = date_or_none(values[name])
        if values[name] and dates[name] is None:
            errors[name] = "Date invalide (jj/mm/aaaa)."
    if not errors:
        try:
            campaign, mailed = use_cases.open_campaign(
                portal(), CampaignCommand(year=year, **dates), actor=require_principal().user_id
            )
        except CampaignRejected as exc:
            errors = exc.errors
        else:
            flash(
                f"Campagne {campaign.year} ouverte : {mailed} e-mail(s) envoyé(s) aux contacts déclarants.", "success"
            )
            return redirect(f"/gestion/salaries/campagnes/{campaign.year}")
    flash("Le formulaire contient des erreurs : corrigez les champs signalés.", "error")
    return _campaigns_page(values, errors, status=422)


@declaration_pages.get("/gestion/salaries/campagnes/<int(min=2000, max=2100):year>")
@staff(*EVERY_STAFF_ROLE)
def campaign_detail(year: int):
    campaign = _campaign_or_404(year)
    counts, companies = queries.progress(campaign, today())
    return render_template(
        "workforce/campaign.html",
        c=queries.campaign_as_dict(campaign),
        counts=counts,
        companies=companies,
        status_codes=STATUS_CODES,
        status_labels=STATUS_LABELS,
        can_manage=bool(require_principal().staff_roles & set(OFFICE_STAFF)),
        page_title=f"Campagne de déclaration des effectifs {year}",
    )


def _closing_preview(campaign) -> dict:
    """Who the closing would list as undeclared, and which of them billing would send a facture d'office (its
    own predicate, asked now: None when billing cannot answer)."""
    entries = {e.member_id: e for e in queries.directory_entries()}
    undeclared = queries.undeclared_companies(portal().db.session, campaign, today(), portal().settings.category_policy)
    preview = clients.estimates_preview(portal(), campaign.year, [c["member_id"] for c in undeclared])
    companies = [
        {
            "member_number": entries[c["member_id"]].member_number if c["member_id"] in entries else "",
            "name": entries[c["member_id"]].name if c["member_id"] in entries else "Adhérent inconnu de ce service",
            "total": sum(c["headcount"].values()) + sum(c["multi_employer"].values()),
            "estimated": preview is not None and c["member_id"] in preview.estimated,
        }
        for c in undeclared
    ]
    companies.sort(key=lambda c: (not c["estimated"], c["member_number"] or "9999999", c["name"]))
    return {
        "undeclared": len(undeclared),
        "estimates": None if preview is None else sum(c["estimated"] for c in companies),
        "tariff": None if preview is None else preview.tariff,
        "companies": companies,
    }


CLOSURE_PATH = "/gestion/salaries/campagnes/<int(min=2000, max=2100):year>/cloture"


@declaration_pages.get(CLOSURE_PATH)
@staff(*OFFICE_STAFF)
def campaign_close_confirmation(year: int):
    """Closing asks for confirmation and says how many factures d'office it will issue."""
    campaign = _campaign_or_404(year)
    if campaign.status == CampaignStatus.CLOSED:
        flash(f"La campagne {year} est déjà clôturée.", "error")
        return redirect(f"/gestion/salaries/campagnes/{year}")
    return render_template(
        "workforce/campaign_close.html",
        c=queries.campaign_as_dict(campaign),
        preview=_closing_preview(campaign),
        page_title=f"Clôturer la campagne {year}",
    )


@declaration_pages.post(CLOSURE_PATH)
@staff(*OFFICE_STAFF)
def campaign_close(year: int):
    _campaign_or_404(year)
    try:
        _campaign, undeclared = use_cases.close_campaign(portal(), year, actor=require_principal().user_id)
    except DeclarationRefused as exc:
        flash(exc.reason, "error")
    else:
        flash(
            f"Campagne {year} clôturée : {undeclared} adhérent(s) sans déclaration confirmée transmis à la "
            "facturation pour une facture d'office. Ils peuvent encore déclarer (déclaration tardive).",
            "success",
        )
    return redirect(f"/gestion/salaries/campagnes/{year}")
