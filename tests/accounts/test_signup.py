"""The join page's account step does not tell anyone whether an e-mail has an account: the page
answers the same way, and the person continues by e-mail (a sign-up link, or a reminder to sign
in). The link is signed, bound to its CPTS, expires, and creates one account only."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client

from apps.accounts.signup import SALT
from tests.conftest import HOST_A, HOST_B, PASSWORD
from tests.factories.accounts import signup_link_path

JOIN = "/adhesion/compte/"


def _ask(email: str, address: str = "203.0.113.5", host: str = HOST_A):
    return Client(HTTP_HOST=host, REMOTE_ADDR=address).post(JOIN, {"email-email": email})


def _page_text(response, email: str) -> str:
    text = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def test_an_existing_and_a_new_email_get_the_same_answer(community_a, bob, mailoutbox):
    existing, new = _ask("bob@test.fr"), _ask("nouvelle@test.fr")
    assert existing.status_code == new.status_code == 200
    assert _page_text(existing, "bob@test.fr") == _page_text(new, "nouvelle@test.fr")
    assert "Nous avons écrit à" in new.content.decode()
    assert "existe" not in new.content.decode()
    # What differs is what each mailbox receives.
    to_bob, to_new = mailoutbox
    assert to_bob.to == ["bob@test.fr"] and "Un compte existe déjà" in to_bob.body
    assert "/compte/creer/" not in to_bob.body
    assert to_new.to == ["nouvelle@test.fr"] and "/compte/creer/" in to_new.body
    # Nothing is created before the link is followed.
    assert not get_user_model().objects.filter(email="nouvelle@test.fr").exists()


def test_the_link_creates_the_account_once_and_continues_to_the_join_form(community_a, mailoutbox):
    _ask("nouvelle@test.fr")
    path = signup_link_path("nouvelle@test.fr")
    client = Client(HTTP_HOST=HOST_A)
    page = client.get(path)
    assert page.status_code == 200 and "nouvelle@test.fr" in page.content.decode()
    response = client.post(
        path, {"first_name": "Nora", "last_name": "Kiné", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/adhesion/"
    assert client.get("/adhesion/").context["user"].email == "nouvelle@test.fr"
    # Used up: the same link creates nothing more and points to the login.
    again = Client(HTTP_HOST=HOST_A).post(
        path, {"first_name": "X", "last_name": "Y", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert again.status_code == 410 and "existe déjà" in again.content.decode()
    assert get_user_model().objects.filter(email__iexact="nouvelle@test.fr").count() == 1


def test_a_forged_expired_or_foreign_link_creates_nothing(community_a, community_b, mailoutbox, settings):
    _ask("nouvelle@test.fr")
    path = signup_link_path("nouvelle@test.fr")
    form = {"first_name": "X", "last_name": "Y", "password1": PASSWORD, "password2": PASSWORD}
    token = path.split("/")[-2]
    forged = signing.dumps({"e": "autre@test.fr", "s": community_a.schema_name, "n": "/"}, salt="autre")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, tampered):
        assert Client(HTTP_HOST=HOST_A).post(f"/compte/creer/{bad}/", form).status_code == 404
    # Made for A, opened on B.
    assert Client(HTTP_HOST=HOST_B).post(path, form).status_code == 404
    # A well-signed link to somewhere else only ever continues on this host.
    elsewhere = signing.dumps(
        {"e": "loin@test.fr", "s": community_a.schema_name, "n": "https://x.test/"}, salt=SALT
    )
    assert Client(HTTP_HOST=HOST_A).post(f"/compte/creer/{elsewhere}/", form)["Location"] == "/"
    # Expired.
    settings.SIGNUP_LINK_MAX_AGE = -1
    assert Client(HTTP_HOST=HOST_A).post(path, form).status_code == 404
    assert not get_user_model().objects.filter(email__in=["nouvelle@test.fr", "autre@test.fr"]).exists()


def test_sign_up_emails_are_capped_per_email_and_per_address(community_a, bob, mailoutbox, settings):
    per_email, per_address = (
        settings.SIGNUP_EMAILS_PER_HOUR_PER_EMAIL,
        settings.SIGNUP_EMAILS_PER_HOUR_PER_ADDRESS,
    )
    for i in range(per_email):
        assert "Nous avons écrit à" in _ask("bob@test.fr", address=f"198.51.100.{i + 1}").content.decode()
    refused = _ask("bob@test.fr", address="198.51.100.99")
    assert "Trop de demandes en peu de temps" in refused.content.decode()
    assert len(mailoutbox) == per_email
    mailoutbox.clear()
    spray = "203.0.113.77"
    answers = [_ask(f"personne{i}@test.fr", address=spray).content.decode() for i in range(per_address + 1)]
    assert ["Nous avons écrit à" in a for a in answers] == [True] * per_address + [False]
    assert "Trop de demandes en peu de temps" in answers[-1]
    assert len(mailoutbox) == per_address


def test_the_login_page_and_the_sign_up_mails_name_the_cpts_with_its_article(community_a, bob, mailoutbox):
    login = Client(HTTP_HOST=HOST_A).get("/compte/connexion/").content.decode()
    assert "Connexion à la CPTS Alpha" in login
    _ask("bob@test.fr"), _ask("nouvelle@test.fr")
    for message in mailoutbox:
        assert "le site de la CPTS Alpha" in message.body, message.body
