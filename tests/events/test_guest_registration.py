"""Visitors without an account register to a free public event by name and e-mail (as on
HelloAsso): a French e-mail through real SMTP with a confirmation and a cancellation link (signed,
single use, scoped to the CPTS), capacity under the event lock, the team's list and export."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events import mails, services
from apps.events.models import Event, Registration
from tests.conftest import HOST_A, HOST_B


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def make_event(schema: str = "alpha", **overrides) -> Event:
    start = timezone.now() + timedelta(days=12)
    fields = {
        "title": "Soirée prévention des chutes",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "visibility": Event.Visibility.PUBLIC,
        "capacity": 10,
        "location": "Salle Jean Moulin",
    }
    fields.update(overrides)
    with schema_context(schema):
        return Event.objects.create(**fields)


def visitor(ip: str | None = None) -> Client:
    return Client(
        HTTP_HOST=HOST_A, REMOTE_ADDR=ip or f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    )


GUEST = {"first_name": "Inès", "last_name": "Marchand", "email": "ines.marchand@exemple.fr"}


def _links(text: str) -> dict[str, str]:
    found = re.findall(r"http://alpha\.localhost(/evenements/invite/(confirmer|annuler)/[^\s/]+/)", text)
    return {kind: path for path, kind in found}


def test_a_visitor_registers_without_an_account_and_confirms_then_cancels_by_the_e_mail_links(
    world, db, on_commit, smtp_inbox
):
    event = make_event()
    client = visitor()
    page = client.get(f"/evenements/{event.pk}/")
    assert page.status_code == 200
    assert 'name="email"' in page.text and 'name="website"' in page.text  # the form, with its honeypot

    with on_commit():
        response = client.post(f"/evenements/{event.pk}/inscription-invite/", GUEST)
    assert response.status_code == 302
    sent_page = client.get(response["Location"])
    assert "Vérifiez votre boîte" in sent_page.text

    with schema_context("alpha"):
        registration = Registration.objects.get(event=event, guest_email="ines.marchand@exemple.fr")
    assert registration.user_id is None and registration.status == Registration.Status.CONFIRMED

    (received,) = smtp_inbox.messages()
    assert received["envelope_to"] == ["ines.marchand@exemple.fr"]
    assert received["subject"].strip() == "Inscription confirmée : Soirée prévention des chutes"
    assert "Bonjour Inès" in received["text"] and "Salle Jean Moulin" in received["text"]
    links = _links(received["text"])
    assert set(links) == {"confirmer", "annuler"}

    # The confirmation link shows the registration; its button confirms the address once.
    confirm = client.get(links["confirmer"])
    assert confirm.status_code == 200 and "Soirée prévention des chutes" in confirm.text
    assert client.post(links["confirmer"]).status_code == 302
    with schema_context("alpha"):
        registration.refresh_from_db()
    first_stamp = registration.guest_confirmed_at
    assert first_stamp is not None
    client.post(links["confirmer"])
    with schema_context("alpha"):
        registration.refresh_from_db()
    assert registration.guest_confirmed_at == first_stamp

    # A GET of the cancellation link (a mail scanner) changes nothing; the button cancels.
    assert "Annuler mon inscription" in client.get(links["annuler"]).text
    with schema_context("alpha"):
        registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    done = client.post(links["annuler"], follow=True)
    assert "Votre inscription est annulée" in done.text
    with schema_context("alpha"):
        registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED

    # Registering again makes a new registration: the old cancellation link does nothing to it.
    with on_commit():
        client.post(f"/evenements/{event.pk}/inscription-invite/", GUEST)
    with schema_context("alpha"):
        registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert client.post(links["annuler"]).status_code == 404
    with schema_context("alpha"):
        registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED


def test_a_link_of_one_cpts_does_nothing_on_another_cpts_host(world, db, on_commit):
    event = make_event()
    make_event("beta")  # an event (and maybe a registration) with the same ids on B
    with schema_context("alpha"), on_commit():
        registration = services.register_guest(
            event=event, first_name="Inès", last_name="Marchand", email="ines@exemple.fr"
        )
        links = mails.guest_links(registration)
    other = Client(HTTP_HOST=HOST_B)
    for path in links.values():
        assert other.get(path).status_code == 404
        assert other.post(path).status_code == 404
    # A tampered token is refused too.
    assert visitor().post(links["cancel"][:-3] + "xx/").status_code == 404
    with schema_context("alpha"):
        registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED and registration.guest_confirmed_at is None


def test_bad_input_gets_french_errors_under_the_fields_and_nothing_is_stored(world, db):
    event = make_event()
    response = visitor().post(
        f"/evenements/{event.pk}/inscription-invite/",
        {"first_name": "", "last_name": "", "email": "pas-un-email"},
    )
    assert response.status_code == 400
    text = response.text
    assert "Saisissez une adresse e-mail valide." in text
    assert text.count("Ce champ est obligatoire.") == 2
    assert 'aria-invalid="true"' in text or "aria-describedby" in text
    with schema_context("alpha"):
        assert not Registration.objects.filter(event=event).exists()


def test_the_honeypot_and_the_rate_limit_protect_the_form(world, db, on_commit):
    event = make_event(capacity=None)
    bot = visitor()
    response = bot.post(f"/evenements/{event.pk}/inscription-invite/", {**GUEST, "website": "http://spam"})
    assert response.status_code == 302
    with schema_context("alpha"):
        assert not Registration.objects.filter(event=event).exists()

    ip = f"10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    cache.clear()
    statuses = []
    with on_commit():
        for i in range(services.GUEST_RATE_LIMIT + 1):
            statuses.append(
                visitor(ip)
                .post(f"/evenements/{event.pk}/inscription-invite/", {**GUEST, "email": f"p{i}@exemple.fr"})
                .status_code
            )
    assert statuses == [302] * services.GUEST_RATE_LIMIT + [429]
    with schema_context("alpha"):
        assert Registration.objects.filter(event=event).count() == services.GUEST_RATE_LIMIT


def test_members_only_and_paid_events_still_need_an_account(world, db):
    members_only = make_event(visibility=Event.Visibility.MEMBERS)
    paid = make_event(price=Decimal("15"))
    client = visitor()
    assert client.post(f"/evenements/{members_only.pk}/inscription-invite/", GUEST).status_code in (302, 404)
    response = client.post(f"/evenements/{paid.pk}/inscription-invite/", GUEST)
    assert response.status_code == 400
    assert "compte" in response.text
    assert 'name="email"' not in client.get(f"/evenements/{paid.pk}/").text
    with schema_context("alpha"):
        assert not Registration.objects.filter(event__in=[members_only, paid]).exists()


def test_guests_racing_for_the_last_seats_never_overbook(world, django_db_blocker):
    """Eight visitors submit at once for three seats: three confirmed, five waiting."""
    with django_db_blocker.unblock():
        event = make_event(capacity=3, title=f"Course {uuid.uuid4().hex[:6]}")
        barrier = threading.Barrier(8)
        errors: list[BaseException] = []

        def register(i):
            try:
                with schema_context("alpha"):
                    barrier.wait(timeout=20)
                    services.register_guest(
                        event=event, first_name="Invité", last_name=f"N{i}", email=f"course{i}@exemple.fr"
                    )
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            with schema_context("alpha"):
                statuses = sorted(Registration.objects.filter(event=event).values_list("status", flat=True))
        finally:
            with schema_context("alpha"):
                event.delete()
            connection.set_schema_to_public()
    assert errors == []
    assert statuses.count("confirmed") == 3 and statuses.count("waitlisted") == 5


def test_the_same_address_twice_is_one_registration(world, db, on_commit):
    event = make_event()
    with schema_context("alpha"), on_commit():
        first = services.register_guest(event=event, first_name="A", last_name="B", email="Double@Exemple.fr")
        second = services.register_guest(
            event=event, first_name="A", last_name="B", email="double@exemple.fr"
        )
        assert first.pk == second.pk
        assert Registration.objects.filter(event=event).count() == 1


def test_the_team_sees_guests_with_members_in_the_list_the_attendance_and_the_export(
    world, db, client_as, alice, bob, on_commit
):
    event = make_event(capacity=1)
    with schema_context("alpha"), on_commit():
        services.register(actor=bob, event=event)
        guest = services.register_guest(
            event=event, first_name="Inès", last_name="Marchand", email="ines@exemple.fr"
        )
    assert guest.status == Registration.Status.WAITLISTED
    team = client_as(alice, HOST_A)
    page = team.get(f"/evenements/{event.pk}/inscrits/").text
    assert "Bob Membre" in page and "Inès Marchand" in page and "Invité" in page

    # Bob cancels: the guest is promoted and told by e-mail with her own cancellation link.
    with schema_context("alpha"), on_commit():
        bob_registration = Registration.objects.get(event=event, user=bob)
        services.cancel_registration(actor=bob, registration=bob_registration)
    with schema_context("alpha"):
        guest.refresh_from_db()
    assert guest.status == Registration.Status.CONFIRMED and guest.promotion_notified_at is not None

    response = team.post(f"/evenements/{event.pk}/inscrits/", {"present": [guest.attendance_key]})
    assert response.status_code == 302
    with schema_context("alpha"):
        guest.refresh_from_db()
    assert guest.attended is True
    csv = team.get(f"/evenements/{event.pk}/inscrits.csv").content.decode("utf-8-sig")
    assert "Marchand;Inès;ines@exemple.fr;Confirmée" in csv

    # The reminder reaches the guest too (no account: straight through the mail path).
    with schema_context("alpha"):
        Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() + timedelta(hours=3))
        assert mails.send_event_reminders() == 1
        guest.refresh_from_db()
    assert guest.reminder_sent_at is not None
    # The team cancels a guest from the list.
    with on_commit():
        team.post(f"/evenements/{event.pk}/inscrits/{guest.pk}/annuler/")
    with schema_context("alpha"):
        guest.refresh_from_db()
    assert guest.status == Registration.Status.CANCELLED


def test_an_event_with_guests_cannot_become_paid(world, db, alice, on_commit):
    event = make_event(capacity=0)
    with schema_context("alpha"), on_commit():
        services.register_guest(event=event, first_name="Inès", last_name="Marchand", email="ines@exemple.fr")
        with pytest.raises(ValidationError) as refused:
            services.update_event(actor=alice, event=event, data={"price": Decimal("10")})
        event.refresh_from_db()
    assert "invités sans compte" in refused.value.message_dict["price"][0]
    assert event.price == 0
