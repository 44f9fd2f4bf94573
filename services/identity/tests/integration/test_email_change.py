"""Changing the account's e-mail address: step-up first, a one-time link to the new address,
a notice to the old one, every session ended; no hint about addresses that belong to other accounts."""

import re

import pytest
from sqlalchemy import select

from identity.accounts import queries as account_queries
from identity.accounts import use_cases as accounts
from identity.models import SecurityEvent, User

pytestmark = pytest.mark.integration

PASSWORD = "une phrase de passe assez longue"
NEW = "paul.martin@nouvelle-boulangerie.fr"


def signed_in(service, pages, step_up=True):
    client = service.client()
    assert pages.login(client, "1000001").status_code == 303
    if step_up:
        pages.step_up(client)
    return client


def ask(pages, client, new=NEW, confirmation=None):
    return pages.post(
        client,
        "/compte/adresse-e-mail",
        {"new_email": new, "confirmation": confirmation or new},
        headers=pages.signed_in(client),
    )


def mailed_link(service, smtp, address):
    service.deliver_mail()
    mail = smtp.wait_for(lambda m: m["To"] == address and "/connexion/nouvelle-adresse-e-mail/" in m.get_content())
    return re.search(r"http\S+(/connexion/nouvelle-adresse-e-mail/\S+)", mail.get_content()).group(1)


def confirm(pages, client, path, form_path=None):
    return pages.post(client, path, {}, form_path=form_path or path)


def test_the_e_mail_page_needs_a_fresh_re_authentication_first(service, owner, pages):
    client = signed_in(service, pages, step_up=False)
    response = client.get("/compte/adresse-e-mail", headers=pages.signed_in(client))
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/compte/verification?next=/compte/adresse-e-mail")


def test_the_new_address_confirms_by_link_then_the_old_one_is_told_and_every_session_ends(service, owner, pages, smtp):
    client = signed_in(service, pages)
    page = client.get("/compte/adresse-e-mail", headers=pages.signed_in(client))
    assert page.status_code == 200 and "chef@boulangerie.fr" in page.text and "Nouvelle adresse e-mail" in page.text
    sent = ask(pages, client)
    assert sent.status_code == 200 and "Vérifiez la messagerie de la nouvelle adresse" in sent.text
    path = mailed_link(service, smtp, NEW)
    assert NEW not in path and re.fullmatch(r"/connexion/nouvelle-adresse-e-mail/[A-Za-z0-9_-]{20,}", path)
    assert account_queries.get_user(service.portal, owner.id).email == "chef@boulangerie.fr"  # nothing before the link
    other_browser = service.client()
    shown = other_browser.get(path)
    assert shown.status_code == 200 and NEW in shown.text and shown.headers["Referrer-Policy"] == "no-referrer"
    done = confirm(pages, other_browser, path)
    assert done.status_code == 303 and done.headers["Location"] == "/connexion"
    assert pages.check(client)[0] == 401  # the session that asked has ended too
    assert pages.login(service.client(), NEW).status_code == 303
    assert pages.login(service.client(), "chef@boulangerie.fr").status_code == 401
    service.deliver_mail()
    notice = smtp.wait_for(lambda m: m["To"] == "chef@boulangerie.fr" and "a été modifiée" in m["Subject"])
    assert "pau***@nouv***.fr" in notice.get_content() and NEW not in notice.get_content()
    assert service.client().get(path).status_code == 400
    again = confirm(pages, service.client(), path, form_path="/connexion")  # a replayed confirmation
    assert again.status_code == 400 and "Lien expiré ou déjà utilisé" in again.text
    with service.portal.db.session_factory() as db:
        kinds = list(
            db.scalars(
                select(SecurityEvent.kind).where(SecurityEvent.user_id == owner.id, SecurityEvent.outcome == "success")
            )
        )
    assert "email_change_request" in kinds and "email_change" in kinds


def test_a_link_older_than_one_hour_gets_the_expired_page_and_changes_nothing(service, owner, pages, smtp, clock):
    client = signed_in(service, pages)
    ask(pages, client)
    path = mailed_link(service, smtp, NEW)
    clock.advance(minutes=61)
    page = service.client().get(path)
    assert page.status_code == 400 and "Demander un nouveau lien" in page.text
    assert account_queries.get_user(service.portal, owner.id).email == "chef@boulangerie.fr"


def test_a_link_whose_sealed_address_was_tampered_with_opens_nothing(service, owner, pages, smtp):
    client = signed_in(service, pages)
    ask(pages, client)
    path = mailed_link(service, smtp, NEW)
    tampered = path[:-6] + ("AAAAAA" if not path.endswith("AAAAAA") else "BBBBBB")
    assert service.client().get(tampered).status_code == 400
    response = confirm(pages, service.client(), tampered, form_path="/connexion")
    assert response.status_code == 400 and "Lien expiré ou déjà utilisé" in response.text
    assert account_queries.get_user(service.portal, owner.id).email == "chef@boulangerie.fr"


@pytest.mark.parametrize(
    "new, confirmation, message",
    [
        ("paul.martin@", None, "Saisissez une adresse e-mail valide"),
        (NEW, "paul.martin@autre.fr", "Les deux saisies de la nouvelle adresse sont différentes."),
        ("Chef@Boulangerie.fr", None, "déjà l&#39;adresse e-mail de votre compte."),
    ],
)
def test_a_malformed_mistyped_or_unchanged_address_gets_a_french_message_next_to_its_field(
    service, owner, pages, smtp, new, confirmation, message
):
    client = signed_in(service, pages)
    response = ask(pages, client, new=new, confirmation=confirmation)
    assert response.status_code == 422 and message in response.text and 'aria-invalid="true"' in response.text
    assert service.deliver_mail() == 0


def test_an_address_of_another_account_gets_the_same_answer_and_no_link(service, owner, pages, smtp):
    accounts.create_user(service.portal, email="compta@cabinet.fr", display_name="Cabinet", password=PASSWORD)
    client = signed_in(service, pages)
    taken = ask(pages, client, new="compta@cabinet.fr")
    free = ask(pages, client, new="libre@cabinet.fr")
    assert taken.status_code == free.status_code == 200
    assert taken.text.replace("compta@cabinet.fr", "X") == free.text.replace("libre@cabinet.fr", "X")
    service.deliver_mail()
    assert smtp.to("compta@cabinet.fr") == [] and len(smtp.to("libre@cabinet.fr")) == 1
    with service.portal.db.session_factory() as db:
        assert db.scalar(select(User.email).where(User.id == owner.id)) == "chef@boulangerie.fr"
        logged = list(
            db.scalars(
                select(SecurityEvent.outcome).where(
                    SecurityEvent.user_id == owner.id, SecurityEvent.kind == "email_change_request"
                )
            )
        )
    assert logged == ["success", "success"]  # the company's security log does not tell either


def test_a_link_is_refused_when_its_address_got_another_account_meanwhile(service, owner, pages, smtp):
    client = signed_in(service, pages)
    ask(pages, client)
    path = mailed_link(service, smtp, NEW)
    accounts.create_user(service.portal, email=NEW, display_name="Quelqu'un d'autre", password=PASSWORD)
    response = confirm(pages, service.client(), path)
    assert response.status_code == 409 and "Adresse indisponible" in response.text
    assert account_queries.get_user(service.portal, owner.id).email == "chef@boulangerie.fr"


def test_links_are_limited_to_five_an_hour_per_account(service, owner, pages, smtp):
    client = signed_in(service, pages)
    for attempt in range(5):
        assert ask(pages, client, new=f"essai{attempt}@nouvelle-boulangerie.fr").status_code == 200
    refused = ask(pages, client)
    assert refused.status_code == 422 and "Trop de demandes en une heure" in refused.text
    service.deliver_mail()
    assert smtp.to(NEW) == []
