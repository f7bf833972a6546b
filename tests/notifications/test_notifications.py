"""The notification service: kinds declared once, preferences per person, per CPTS and per kind,
the in-app list across the account's CPTS, one-click unsubscribe (RFC 8058) without login."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import schema_context

from apps.events.models import Event, Registration
from apps.members.models import Membership
from apps.members.services import grant_role
from apps.notifications import selectors, service
from apps.notifications.models import Notification, Preference
from apps.notifications.registry import Channel, UnknownKind, get_kind, register_kind
from tests.conftest import HOST_A, HOST_B, PASSWORD, signed_in_client
from tests.events.test_reminders import make_event
from workers.events import send_cancellation_notices_task, send_event_reminders_task


def _remind(schema: str, user, title: str = "Soirée SNP") -> Registration:
    with schema_context(schema):
        event = make_event(5, title=title)
        registration = Registration.objects.create(event=event, user=user, status="confirmed")
    send_event_reminders_task.apply(args=(schema,)).get()
    with schema_context(schema):
        registration.refresh_from_db()
    return registration


def test_kinds_are_declared_once_by_their_apps():
    assert get_kind("events.reminder").transactional is False
    assert get_kind("events.cancelled").transactional is True
    with pytest.raises(ValueError):
        register_kind("events.reminder", "Autre libellé", transactional=True)
    with pytest.raises(UnknownKind):
        get_kind("events.nothing")


def test_an_optional_notification_goes_by_real_smtp_with_one_click_unsubscribe_headers(
    world, db, bob, smtp_inbox
):
    registration = _remind("alpha", bob)
    assert registration.reminder_sent_at is not None
    (received,) = smtp_inbox.messages()
    assert received["envelope_to"] == ["bob@test.fr"] and received["subject"] == "Rappel : Soirée SNP"
    assert received["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(http://alpha\.localhost/notifications/desabonnement/[^/]+/)>",
                        "".join(received["headers"]["List-Unsubscribe"].split())).group(1)  # fmt: skip
    # The same link in the text footer and in the HTML footer.
    assert link in received["text"] and link in received["html"]
    assert "Vous recevez cet e-mail de la CPTS Alpha." in received["text"]
    assert "Vous recevez cet e-mail de la CPTS Alpha." in received["html"]
    with schema_context("alpha"):
        stored = Notification.objects.get(user=bob, kind="events.reminder")
    assert stored.channel == Channel.IMMEDIATE and stored.emailed_at is not None
    assert stored.url.startswith("http://alpha.localhost/evenements/")


def test_one_click_unsubscribe_works_without_login_and_stops_the_next_send(world, db, bob, smtp_inbox):
    _remind("alpha", bob)
    (first,) = smtp_inbox.messages()
    # A long header is folded (RFC 5322); unfolded, it is the link.
    link = "".join(first["headers"]["List-Unsubscribe"].split()).strip("<>")
    path = link.removeprefix("http://alpha.localhost")
    anonymous = Client(HTTP_HOST=HOST_A, enforce_csrf_checks=True)
    # A link scanner's GET changes nothing; it asks to confirm.
    page = anonymous.get(path)
    assert page.status_code == 200 and "Me désabonner" in page.content.decode()
    assert "de la CPTS Alpha ?" in page.content.decode()
    with schema_context("alpha"):
        assert service.channel_for(bob, get_kind("events.reminder")) == Channel.IMMEDIATE
    # The mail client's one-click POST (RFC 8058): no session, no CSRF token.
    done = anonymous.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200 and "vous ne recevrez plus" in done.content.decode()
    assert "de la CPTS Alpha." in done.content.decode()
    smtp_inbox.clear()
    second = _remind("alpha", bob, title="Assemblée générale")
    assert smtp_inbox.messages() == []
    assert second.reminder_sent_at is not None  # done: the person chose not to receive it
    # Only this CPTS: the same token is not valid on B's host.
    assert Client(HTTP_HOST=HOST_B).post(path).status_code == 404
    assert Client(HTTP_HOST=HOST_A).post(path[:-5] + "abcd/").status_code == 404


def test_preferences_are_obeyed_per_kind_and_per_cpts(world, db, bob, smtp_inbox):
    with schema_context("alpha"):
        service.set_preference(actor=bob, kind="events.reminder", channel=Channel.DIGEST)
        with pytest.raises(ValidationError):
            service.set_preference(actor=bob, kind="events.cancelled", channel=Channel.NEVER)
    _remind("alpha", bob)
    assert smtp_inbox.messages() == []
    with schema_context("alpha"):
        (kept,) = selectors.digest_pending(bob)
        assert kept.kind == "events.reminder" and kept.title == "Rappel : Soirée SNP"
        service.set_preference(actor=bob, kind="events.reminder", channel=Channel.NEVER)
    _remind("alpha", bob, title="Assemblée générale")
    with schema_context("alpha"):
        assert not Notification.objects.filter(title__contains="Assemblée").exists()
    assert smtp_inbox.messages() == []


def test_the_member_page_lists_recent_notifications_of_every_cpts_of_the_account_and_no_other(
    world, db, bob, charlie
):
    both = get_user_model().objects.create_user("ide.deux@test.fr", PASSWORD)
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            grant_role(user=both, role="member", dues_exempt=True)
    _remind("alpha", both, title="Réunion Alpha")
    _remind("beta", both, title="Réunion Bêta")
    _remind("alpha", bob, title="Réservé à Bob")

    page = signed_in_client(both, HOST_B).get("/mon-espace/notifications/")
    text = page.content.decode()
    assert page.status_code == 200 and "Mes notifications" in text
    assert "Rappel : Réunion Alpha" in text and "Rappel : Réunion Bêta" in text
    assert "Réservé à Bob" not in text
    assert "Rappels des événements où je suis inscrit(e)" in text and "Toujours envoyé par e-mail" in text
    space = signed_in_client(both, HOST_A).get("/mon-espace/").content.decode()
    assert (
        "1 notification de la CPTS Alpha ces 30 derniers jours." in space
        and "/mon-espace/notifications/" in space
    )
    charlie_page = signed_in_client(charlie, HOST_B).get("/mon-espace/notifications/").content.decode()
    assert "Réunion Alpha" not in charlie_page and "Réservé à Bob" not in charlie_page

    # A former member of A reads nothing of A any more.
    with schema_context("alpha"):
        Membership.objects.filter(user=both).update(is_active=False)
    titles = [row["notification"].title for row in selectors.recent_everywhere(both)]
    assert titles == ["Rappel : Réunion Bêta"]


def test_choosing_preferences_in_the_member_space(world, db, bob):
    client = signed_in_client(bob, HOST_A)
    page = client.get("/mon-espace/notifications/").content.decode()
    assert "Ce que la CPTS Alpha m&#x27;envoie" in page or "Ce que la CPTS Alpha m'envoie" in page
    assert "Ces choix valent pour la CPTS Alpha seulement" in page
    space = client.get("/mon-espace/").content.decode()
    assert "de CPTS Alpha" not in space
    response = client.post("/mon-espace/notifications/", {"kind-events.reminder": "digest"})
    assert response.status_code == 302
    with schema_context("alpha"):
        assert service.channel_for(bob, get_kind("events.reminder")) == Channel.DIGEST
    refused = client.post("/mon-espace/notifications/", {"kind-events.reminder": "sometimes"})
    assert refused.status_code == 400 and "Choix de réception inconnu." in refused.content.decode()
    # Still B's own choice in B: A's choice does not leak there.
    with schema_context("beta"):
        assert service.channel_for(bob, get_kind("events.reminder")) == Channel.IMMEDIATE
    # Someone with no role here is refused (404), an anonymous visitor sent to log in.
    assert signed_in_client(world.charlie, HOST_A).get("/mon-espace/notifications/").status_code == 404
    assert Client(HTTP_HOST=HOST_A).get("/mon-espace/notifications/").status_code == 302


def test_a_transactional_notification_is_sent_whatever_the_choice_and_has_no_unsubscribe_link(
    world, db, bob, smtp_inbox
):
    with schema_context("alpha"):
        # Even a stored « never » for this kind (written directly: the service refuses it).
        Preference.objects.create(user=bob, kind="events.cancelled", channel=Channel.NEVER)
        event = make_event(48, title="Soirée annulée")
        Registration.objects.create(event=event, user=bob, status="confirmed")
        Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    assert send_cancellation_notices_task.apply(args=("alpha", event.pk)).get() == 1
    (received,) = smtp_inbox.messages()
    assert received["subject"] == "Événement annulé : Soirée annulée"
    assert "List-Unsubscribe" not in received["headers"] and "desabonnement" not in received["text"]
