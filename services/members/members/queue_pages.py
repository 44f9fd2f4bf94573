"""Staff's validation queue: approve a change request, or reject it with a reason the member sees."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request

from portal_common.access import require_principal, staff
from portal_common.errors import FieldErrors
from portal_common.service import portal

from . import services, views
from .changes import DecisionRefused
from .domain import RecordConflict
from .services import Actor, NotFound

queue_pages = Blueprint("members_queue_pages", __name__, template_folder="templates")


@queue_pages.get("/gestion/adherents/demandes")
@staff()
def queue():
    rows = [(r, m, views.request_lines(r)) for r, m in views.pending_requests()]
    return render_template("members/queue.html", rows=rows, labels=views.labels(),
                           user_id=require_principal().user_id, page_title="Demandes à valider")


@queue_pages.post("/gestion/adherents/demandes/<string:request_id>")
@staff()
def decide(request_id: str):
    decision = request.form.get("decision")
    if decision not in {"approve", "reject"}:
        abort(400)
    try:
        decided = services.decide(portal(), request_id, Actor.of(require_principal()), approve=decision == "approve",
                                  reason=request.form.get("reason"))
    except NotFound:
        abort(404)
    except DecisionRefused as exc:
        flash(exc.message, "error")
        return redirect("/gestion/adherents/demandes"), 303
    except RecordConflict as exc:
        for name, message in exc.errors.items():
            flash(f"{views.FIELD_LABELS[name]} : {message} La demande reste en attente : refusez-la en indiquant "
                  "le motif.", "error")
        return redirect("/gestion/adherents/demandes"), 303
    except FieldErrors as exc:
        for message in exc.errors.values():
            flash(message, "error")
        return redirect("/gestion/adherents/demandes"), 303
    flash("Demande validée : la modification est appliquée." if decided.status == "approved"
          else "Demande refusée : le demandeur verra le motif.", "success")
    return redirect("/gestion/adherents/demandes")
