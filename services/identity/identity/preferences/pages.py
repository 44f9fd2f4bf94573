"""« Préférences de courriel » under « Mon compte », and the internal read other services make before mailing a
user an optional e-mail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request

from portal_common.access import AUTHENTICATED
from portal_common.service import portal

from ..web import current_user
from . import use_cases
from .rules import MANDATORY, TOPIC_LABELS, parse_opt_outs

pages = Blueprint("identity_preferences", __name__)

PREFERENCES = "/compte/preferences-courriel"


@pages.get(PREFERENCES)
@AUTHENTICATED
def preferences():
    user = current_user()
    return render_template(
        "identity/mail_preferences.html",
        declined=parse_opt_outs(user.mail_opt_outs),
        labels=TOPIC_LABELS,
        mandatory=MANDATORY,
        page_title="Préférences de courriel",
    )


@pages.post(PREFERENCES)
@AUTHENTICATED
def save_preferences():
    use_cases.save(portal(), current_user().id, request.form.getlist("topics"))
    flash("Vos préférences de courriel ont été enregistrées.", "success")
    return redirect(PREFERENCES, code=303)
