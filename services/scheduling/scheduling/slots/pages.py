"""Desk forms of the slots: staff open a slot, and convoke a requested or due visit into one."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, flash, redirect, request

from portal_common.clock import PARIS
from portal_common.service import portal

from .. import web
from ..appointments.rules import PLACE_NAME_MAX, AppointmentRejected, NotFound, Place
from . import use_cases
from .rules import PlacementRejected, SlotCommand

pages = Blueprint("scheduling_slots", __name__)

SLOT_FIELDS = (
    "centre_name",
    "centre_address",
    "professional_kind",
    "professional_name",
    "day",
    "time",
    "duration_minutes",
    "capacity",
)


def _slot_start(values: dict[str, str], errors: dict[str, str]) -> datetime | None:
    try:
        day = date.fromisoformat(values["day"])
    except ValueError:
        errors["day"] = "Date invalide (jj/mm/aaaa)." if values["day"] else "Indiquez le jour du créneau."
    try:
        at = time.fromisoformat(values["time"])
    except ValueError:
        errors["time"] = "Heure invalide (hh:mm)." if values["time"] else "Indiquez l'heure du créneau."
    if "day" in errors or "time" in errors:
        return None
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=PARIS)


def _slot_form_errors(errors: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """The rules speak of the centre and of the start; the form has one field for each of their parts."""
    mapped = dict(errors)
    if "centre" in mapped:
        # The rules check the centre's name before its address: a valid name means the address is at fault.
        name = values["centre_name"]
        mapped["centre_name" if not name or len(name) > PLACE_NAME_MAX else "centre_address"] = mapped.pop("centre")
    if "starts_at" in mapped:
        mapped["day"] = mapped.pop("starts_at")
    return mapped


@pages.post("/gestion/rendez-vous/creneaux")
@web.SCHEDULERS
def create_slot():
    values = {name: request.form.get(name, "").strip() for name in SLOT_FIELDS}
    errors: dict[str, str] = {}
    starts_at = _slot_start(values, errors)
    numbers = {}
    for name in ("duration_minutes", "capacity"):
        try:
            numbers[name] = int(values[name])
        except ValueError:
            errors[name] = "Nombre entier attendu."
    if not errors and starts_at is not None:
        try:
            use_cases.create_slot(
                portal(),
                SlotCommand(
                    centre=Place(values["centre_name"], values["centre_address"]),
                    professional_kind=values["professional_kind"],
                    professional_name=values["professional_name"],
                    starts_at=starts_at,
                    **numbers,
                ),
            )
        except AppointmentRejected as exc:
            errors.update(_slot_form_errors(exc.errors, values))
        else:
            flash("Créneau ouvert.", "success")
            return redirect("/gestion/rendez-vous")
    return web.refused("slot", errors, values, "Le créneau n'a pas pu être ouvert : corrigez les champs signalés.")


PLACEMENT_FIELDS = ("slot_id", "request_id", "obligation_id")
PLACEMENT_REFUSED = "Le rendez-vous n'a pas pu être convoqué : voyez le message sous le créneau."


@pages.post("/gestion/rendez-vous/placement")
@web.SCHEDULERS
def place():
    values = {name: request.form.get(name, "").strip()[:36] for name in PLACEMENT_FIELDS}
    failed_form = f"r-{values['request_id']}" if values["request_id"] else f"o-{values['obligation_id']}"
    if not values["slot_id"]:
        return web.refused(failed_form, {"slot_id": "Choisissez un créneau."}, values, PLACEMENT_REFUSED)
    try:
        _appointment, mailed = use_cases.place_in_slot(
            portal(),
            values["slot_id"],
            request_id=values["request_id"] or None,
            obligation_id=values["obligation_id"] or None,
        )
    except NotFound:
        return web.refused(
            failed_form,
            {"slot_id": "Ce créneau ou cette visite n'existe plus : rechargez la page."},
            values,
            PLACEMENT_REFUSED,
        )
    except PlacementRejected as exc:
        # The slot is the form's only field: what concerns the visit or the employee is said there too.
        return web.refused(failed_form, web.onto_fields(exc.errors, ("slot_id",)), values, PLACEMENT_REFUSED)
    flash(
        "Rendez-vous convoqué : la convocation est envoyée au contact de l'entreprise."
        if mailed
        else "Rendez-vous convoqué. Aucun e-mail de convocation n'est connu pour cet adhérent : "
        "transmettez la convocation (PDF) autrement.",
        "success" if mailed else "info",
    )
    return redirect("/gestion/rendez-vous")
