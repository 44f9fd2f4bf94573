"""Desk forms of the slots: staff open a slot, and convoke a requested or due visit into one."""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, flash, redirect, request

from portal_common.clock import PARIS
from portal_common.service import portal

from .. import web
from ..appointments.rules import PLACE_NAME_MAX, AppointmentRejected, NotFound, Place
from . import use_cases
from .rules import MOVE_REASON_MAX, PlacementRejected, SlotChangeRefused, SlotCommand

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


@pages.post("/gestion/rendez-vous/creneaux/<string:slot_id>/fermeture")
@web.SCHEDULERS
def close_slot(slot_id: str):
    """The slot is offered no more; the visits it holds stay."""
    return _slot_change(lambda: use_cases.close_slot(portal(), slot_id), "Créneau fermé : il n'est plus proposé.")


@pages.post("/gestion/rendez-vous/creneaux/<string:slot_id>/suppression")
@web.SCHEDULERS
def delete_slot(slot_id: str):
    """A free slot removed (one holding visits is refused with what to do)."""
    return _slot_change(lambda: use_cases.delete_slot(portal(), slot_id), "Créneau supprimé.")


SLOT_MOVE_FIELDS = ("day", "time", "reason")
SLOT_MOVE_REFUSED = "Le créneau n'a pas été déplacé : voyez le message à côté du champ."


@pages.post("/gestion/rendez-vous/creneaux/<string:slot_id>/deplacement")
@web.SCHEDULERS
def move_slot(slot_id: str):
    """The slot moves to a new day and time with a reason; every visit it holds is convoked again."""
    values = {
        "day": request.form.get("day", "").strip()[:10],
        "time": request.form.get("time", "").strip()[:8],
        "reason": request.form.get("reason", "")[: MOVE_REASON_MAX * 2],
    }
    failed_form = f"move-{slot_id}"
    errors: dict[str, str] = {}
    starts_at = _slot_start(values, errors)
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = 0  # never a stored version: answered as "changed meanwhile, reload"
    if starts_at is None:
        return web.refused(failed_form, errors, values, SLOT_MOVE_REFUSED)
    try:
        _slot, reconvoked = use_cases.move_slot(
            portal(), slot_id, starts_at=starts_at, read_version=version, reason=values["reason"]
        )
    except NotFound:
        flash("Ce créneau n'existe plus : rechargez la page.", "error")
        return redirect("/gestion/rendez-vous#creneaux")
    except (PlacementRejected, SlotChangeRefused) as exc:
        mapped = dict(exc.errors)
        if "starts_at" in mapped:  # the new start is typed as a day and a time: its message goes by the day
            mapped["day"] = mapped.pop("starts_at")
        return web.refused(
            failed_form, web.onto_fields(mapped, SLOT_MOVE_FIELDS), values, SLOT_MOVE_REFUSED, status=exc.status
        )
    flash(f"Créneau déplacé : {reconvoked} convocation(s) modifiée(s).", "success")
    return redirect("/gestion/rendez-vous#creneaux")


def _slot_change(change, done: str):
    try:
        change()
    except NotFound:
        flash("Ce créneau n'existe plus : rechargez la page.", "error")
    except SlotChangeRefused as exc:
        flash(exc.errors["slot_id"], "error")
    else:
        flash(done, "success")
    return redirect("/gestion/rendez-vous#creneaux")
