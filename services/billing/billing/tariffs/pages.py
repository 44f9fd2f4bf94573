"""The staff page of the yearly tariffs."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request

from portal_common.access import require_principal, staff
from portal_common.clock import today
from portal_common.roles import BILLING_STAFF, EVERY_STAFF_ROLE
from portal_common.service import portal
from portal_common.web.conflicts import STALE_FORM, changed_fields, form_version

from ..web import amount_text, chosen_year, french_decimal, percent_as_rate, rate_as_percent
from . import queries
from .rules import (
    AMOUNT_FIELDS,
    DEFAULT_RATES,
    FIELD_LABELS,
    NATIONAL_AVERAGE_COST,
    RATE_FIELDS,
    StaleTariff,
    Tariff,
    TariffRejected,
    legal_band,
)
from .use_cases import save_tariff as save

tariff_pages = Blueprint("billing_tariff_pages", __name__)

TARIFFS_PATH = "/gestion/factures/tarifs"


def _tariff_form(year: int) -> dict[str, str]:
    """The form of a year: its saved tariff, else the defaults (published national cost, usual rates)."""
    row = queries.get_tariff(year)
    values = {name: amount_text(getattr(row, name, None)) for name in AMOUNT_FIELDS}
    values |= {name: rate_as_percent(getattr(row, name, DEFAULT_RATES[name])) for name in RATE_FIELDS}
    if row is None:
        values["national_average_cost"] = amount_text(NATIONAL_AVERAGE_COST.get(year))
    return {"year": str(year), **values}


def _version_of(year: int) -> int:
    """The version the form carries: the year's tariff's, 0 when it has none yet."""
    row = queries.get_tariff(year)
    return row.version if row is not None else 0


def _render_tariffs(
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    *,
    version: int | None = None,
    differences: list[dict] | None = None,
):
    rows = queries.list_tariffs()
    year = int(values["year"]) if str(values.get("year", "")).isdigit() else 0
    return render_template(
        "billing/tariffs.html",
        tariffs=rows,
        version=version if version is not None else _version_of(year),
        differences=differences or [],
        bands={row.year: legal_band(row.national_average_cost) for row in rows},
        values=values,
        errors=errors,
        labels=FIELD_LABELS,
        amount_fields=AMOUNT_FIELDS,
        rate_fields=RATE_FIELDS,
        page_title="Tarifs de facturation",
    ), status


@tariff_pages.get(TARIFFS_PATH)
@staff(*EVERY_STAFF_ROLE)
def tariffs():
    year = chosen_year(request.args.get("annee"), today().year)
    return _render_tariffs(_tariff_form(year), {})


@tariff_pages.post(TARIFFS_PATH)
@staff(*BILLING_STAFF)
def save_tariff():
    values = {name: request.form.get(name, "").strip()[:30] for name in ("year", *AMOUNT_FIELDS, *RATE_FIELDS)}
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    for name in (*AMOUNT_FIELDS, *RATE_FIELDS):
        value = (percent_as_rate if name in RATE_FIELDS else french_decimal)(values[name])
        if value is None and (values[name] or name != "national_average_cost"):
            errors[name] = (
                f"{FIELD_LABELS[name]} : saisissez un nombre (exemple : {'1,5' if name in RATE_FIELDS else '116,00'})."
            )
        parsed[name] = value
    year = int(values["year"]) if values["year"].isdigit() else 0
    try:
        saved = save(
            portal(),
            Tariff(year=year, **parsed),
            by=require_principal().user_id,
            expected_version=form_version(request.form),
        )
    except StaleTariff:  # saved meanwhile by someone else: theirs beside what was typed, which stays in the form
        portal().db.session.expire_all()
        flash(STALE_FORM, "error")
        labels = {name: FIELD_LABELS[name] for name in (*AMOUNT_FIELDS, *RATE_FIELDS)}
        differences = changed_fields(_tariff_form(year), values, labels)
        return _render_tariffs(values, {"version": STALE_FORM}, 409, differences=differences)
    except TariffRejected as exc:
        errors = {**exc.errors, **errors}
    if errors:
        flash("Le tarif n'a pas été enregistré : corrigez les champs signalés.", "error")
        return _render_tariffs(values, errors, 422, version=form_version(request.form))
    flash(f"Tarif {saved.year} enregistré.", "success")
    return redirect(f"{TARIFFS_PATH}?annee={saved.year}")
