"""Changing the password (AUTH-06) and listing / ending sessions (SESS-05, SESS-06), through the pages."""

import pytest
from sqlalchemy import select

from identity.accounts import use_cases as accounts
from identity.models import SecurityEvent, User
from identity.web import PLAIN_NAME
from portal_common.testing import make_principal

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
NEW_PASSWORD = "le chat dort sur la commode bleue"
OTHER_MEMBER = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a02"


def signed_in(service, pages, identifier="1000001", password=PASSWORD, user_agent="Firefox de test"):
    client = service.client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert pages.login(client, identifier, password=password).status_code == 303
    pages.step_up(client, password=password)  # changing the password needs a fresh re-authentication
    return client


def change(pages, client, current=PASSWORD, new=NEW_PASSWORD, confirmation=None, end_others=True):
    data = {"current_password": current, "new_password": new, "confirmation": confirmation or new}
    if end_others:
        data["end_others"] = "1"
    return pages.post(client, "/compte/mot-de-passe", data, headers=pages.signed_in(client))


def test_the_password_page_renders_in_french_with_the_other_sessions_box_ticked(service, owner, pages):
    client = signed_in(service, pages)
    page = client.get("/compte/mot-de-passe", headers=pages.signed_in(client))
    assert page.status_code == 200 and "Mot de passe actuel" in page.text
    assert 'name="end_others" type="checkbox" value="1" checked' in page.text


def test_changing_the_password_needs_the_current_one_and_changes_nothing_otherwise(service, owner, pages, smtp):
    client = signed_in(service, pages)
    response = change(pages, client, current="pas le bon mot de passe")
    assert response.status_code == 422 and "Mot de passe actuel incorrect." in response.text
    assert pages.login(service.client(), "1000001").status_code == 303
    assert service.deliver_mail() == 0


@pytest.mark.parametrize(
    "new, confirmation, message",
    [
        ("trop court", None, "au moins 15 caractères"),
        ("BoulangerieMartin1000001", None, "n° adhérent"),
        ("passwordstandard", None, "trop courant"),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "différentes"),
    ],
)
def test_a_weak_or_mistyped_new_password_is_refused_next_to_its_field(
    service, owner, pages, new, confirmation, message
):
    client = signed_in(service, pages)
    response = change(pages, client, new=new, confirmation=confirmation)
    assert response.status_code == 422 and message in response.text and 'aria-invalid="true"' in response.text
    assert pages.login(service.client(), "1000001").status_code == 303  # the old password still works


def test_a_change_rotates_this_session_ends_the_others_and_tells_the_user(service, owner, pages, smtp):
    other = signed_in(service, pages, user_agent="Chrome du bureau")
    client = signed_in(service, pages)
    old_cookie = client.get_cookie(PLAIN_NAME).value
    response = change(pages, client)
    assert response.status_code == 303 and response.headers["Location"] == "/compte"
    assert client.get_cookie(PLAIN_NAME).value != old_cookie
    assert pages.check(client)[0] == 204
    assert pages.check(other)[0] == 401
    replay = service.client()
    replay.set_cookie(PLAIN_NAME, old_cookie)
    assert pages.check(replay)[0] == 401
    assert pages.login(service.client(), "1000001").status_code == 401
    assert pages.login(service.client(), "1000001", password=NEW_PASSWORD).status_code == 303
    service.deliver_mail()
    mail = smtp.wait_for(lambda m: m["To"] == "chef@boulangerie.fr")
    assert mail["Subject"] == "Votre mot de passe a été modifié"
    assert NEW_PASSWORD not in mail.get_content()


def test_other_sessions_may_be_kept_when_changing_the_password(service, owner, pages):
    other = signed_in(service, pages)
    client = signed_in(service, pages)
    assert change(pages, client, end_others=False).status_code == 303
    assert pages.check(other)[0] == 204


def test_the_sessions_page_lists_the_users_sessions_with_their_browser(service, owner, pages):
    signed_in(service, pages, user_agent="Chrome du bureau")
    client = signed_in(service, pages, user_agent="Firefox de la maison")
    page = client.get("/compte/sessions", headers=pages.signed_in(client))
    assert page.status_code == 200
    assert "Chrome du bureau" in page.text and "Firefox de la maison" in page.text and "Cette session" in page.text
    assert '<th scope="col">Ouverte le</th>' in page.text and "/" in page.text


def test_ending_one_of_my_sessions_kills_it_at_once(service, owner, pages):
    other = signed_in(service, pages)
    other_ref = pages.check(other)[1].session_ref
    client = signed_in(service, pages)
    response = pages.post(
        client, f"/compte/sessions/{other_ref}/fin", {}, headers=pages.signed_in(client), form_path="/compte/sessions"
    )
    assert response.status_code == 303
    assert pages.check(other)[0] == 401 and pages.check(client)[0] == 204


def test_nobody_ends_another_users_session(service, owner, pages):
    stranger = accounts.create_user(service.portal, email="autre@garage.fr", display_name="Autre", password=PASSWORD)
    victim = signed_in(service, pages, identifier="autre@garage.fr")
    victim_ref = pages.check(victim)[1].session_ref
    client = signed_in(service, pages)
    response = pages.post(
        client, f"/compte/sessions/{victim_ref}/fin", {}, headers=pages.signed_in(client), form_path="/compte/sessions"
    )
    assert response.status_code == 404 and stranger.id
    assert pages.check(victim)[0] == 204


def test_ending_all_my_other_sessions_keeps_this_one(service, owner, pages):
    others = [signed_in(service, pages) for _ in range(2)]
    client = signed_in(service, pages)
    response = pages.post(
        client, "/compte/sessions/autres/fin", {}, headers=pages.signed_in(client), form_path="/compte/sessions"
    )
    assert response.status_code == 303
    assert [pages.check(o)[0] for o in others] == [401, 401] and pages.check(client)[0] == 204


def test_a_company_administrator_ends_the_sessions_of_a_user_of_his_company(service, owner, pages, member_id):
    clerk = accounts.create_user(
        service.portal, email="compta@boulangerie.fr", display_name="Compta", password=PASSWORD
    )
    accounts.link_member(service.portal, user_id=clerk.id, member_id=member_id, roles=("billing",))
    clerk_client = signed_in(service, pages, identifier="compta@boulangerie.fr")
    admin = make_principal(user_id=owner.id, member_id=member_id, roles=("admin",))
    response = service.client().delete(f"/api/identity/users/{clerk.id}/sessions", headers=service.headers(admin))
    assert response.status_code == 200 and response.json == {"ended": 1}
    assert pages.check(clerk_client)[0] == 401
    with service.portal.db.session_factory() as db:
        logged = db.scalars(select(SecurityEvent).where(SecurityEvent.kind == "sessions_ended_by_admin")).one()
    assert (logged.user_id, logged.actor_id) == (clerk.id, owner.id)


def test_ending_sessions_of_another_companys_user_is_404_and_of_a_non_admin_403(service, owner, pages, member_id):
    outsider = accounts.create_user(service.portal, email="x@garage.fr", display_name="X", password=PASSWORD)
    accounts.link_member(service.portal, user_id=outsider.id, member_id=OTHER_MEMBER, roles=("admin",))
    admin = make_principal(user_id=owner.id, member_id=member_id, roles=("admin",))
    reader = make_principal(member_id=member_id, roles=("read",))
    client = service.client()
    assert (
        client.delete(f"/api/identity/users/{outsider.id}/sessions", headers=service.headers(admin)).status_code == 404
    )
    assert client.delete(f"/api/identity/users/{owner.id}/sessions", headers=service.headers(reader)).status_code == 403
    assert client.delete(f"/api/identity/users/{owner.id}/sessions").status_code == 401
    staff = make_principal(staff_roles=("administration",))
    assert (
        client.delete(f"/api/identity/users/{outsider.id}/sessions", headers=service.headers(staff)).status_code == 200
    )


def test_passwords_are_stored_as_argon2id_with_the_required_parameters(service, owner):
    with service.portal.db.session_factory() as db:
        stored = db.scalars(select(User.password_hash)).all()
    assert stored and all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in stored)
