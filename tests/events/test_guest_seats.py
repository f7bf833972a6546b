"""A guest's seat is theirs once they confirm their address: an unconfirmed guest registration is
released after ``EVENTS_GUEST_CONFIRMATION_DELAY`` (the waiting list moves up), by the same sweep
that releases unpaid holds (``events.expire_holds``, beat every 5 minutes). The guest links are
signed, never stored: nothing in the database lets its reader act for a guest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events import services
from apps.events.models import Registration
from tests.conftest import wait_until
from tests.events.test_guest_registration import GUEST, _links, make_event
from workers.events import expire_holds_task

INES = GUEST
JULES = {"first_name": "Jules", "last_name": "Perrin", "email": "jules.perrin@exemple.fr"}
LEA = {"first_name": "Léa", "last_name": "Roux", "email": "lea.roux@exemple.fr"}


def _age(registration: Registration, hours: float) -> None:
    Registration.objects.filter(pk=registration.pk).update(queued_at=timezone.now() - timedelta(hours=hours))


def test_an_unconfirmed_guest_seat_is_released_after_the_delay_once_and_the_waiting_list_moves_up(
    world, db, settings, django_capture_on_commit_callbacks
):
    settings.EVENTS_GUEST_CONFIRMATION_DELAY = timedelta(hours=48)
    event = make_event(capacity=2)
    with schema_context("alpha"):
        with django_capture_on_commit_callbacks(execute=True):
            silent = services.register_guest(event=event, **INES)
            confirmed = services.register_guest(event=event, **JULES)
            waiting = services.register_guest(event=event, **LEA)
        assert waiting.status == Registration.Status.WAITLISTED  # the event is full
        services.confirm_guest(confirmed)
        _age(silent, 49)
        _age(confirmed, 49)  # confirmed: keeps the seat however old
        with django_capture_on_commit_callbacks(execute=True):
            first = expire_holds_task.apply(args=("alpha",)).get()
            second = expire_holds_task.apply(args=("alpha",)).get()
        states = {r.guest_email: r.status for r in Registration.objects.filter(event=event).order_by("pk")}
    assert (first, second) == (1, 0)
    assert states == {
        INES["email"]: Registration.Status.EXPIRED,
        JULES["email"]: Registration.Status.CONFIRMED,
        LEA["email"]: Registration.Status.CONFIRMED,  # promoted to the freed seat
    }


def test_an_unconfirmed_guest_keeps_the_seat_within_the_delay(world, db, settings):
    settings.EVENTS_GUEST_CONFIRMATION_DELAY = timedelta(hours=48)
    event = make_event(capacity=1)
    with schema_context("alpha"):
        recent = services.register_guest(event=event, **INES)
        _age(recent, 47)
        assert services.release_unconfirmed_guests() == 0
        recent.refresh_from_db()
    assert recent.status == Registration.Status.CONFIRMED


def test_the_guest_links_are_not_stored_in_the_database(
    world, db, django_capture_on_commit_callbacks, smtp_inbox
):
    """The links are signed with the platform's secret (schema, registration, ``queued_at``,
    action): no column holds them, so reading the table gives no way to act for a guest."""
    event = make_event()
    with schema_context("alpha"):
        with django_capture_on_commit_callbacks(execute=True):
            registration = services.register_guest(event=event, **INES)
        (received,) = smtp_inbox.messages()
        links = _links(received["text"])
        assert set(links) == {"confirmer", "annuler"}
        tokens = [path.rstrip("/").rsplit("/", 1)[1] for path in links.values()]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT row_to_json(r)::text FROM events_registration r WHERE id = %s", [registration.pk]
            )
            (row,) = cursor.fetchone()
    assert all(token not in row for token in tokens)


@pytest.mark.worker
def test_a_real_worker_releases_an_unconfirmed_guest_seat(real_worker, world, django_db_blocker):
    with django_db_blocker.unblock():
        event = make_event(capacity=1, title="Atelier du soir (invités)")
        try:
            with schema_context("alpha"):
                silent = services.register_guest(event=event, **INES)
                waiting = services.register_guest(event=event, **JULES)
                _age(silent, 24 * 7)
            expire_holds_task.delay("alpha")

            def promoted():
                with schema_context("alpha"):
                    return Registration.objects.filter(
                        pk=waiting.pk, status=Registration.Status.CONFIRMED
                    ).first()

            done = wait_until(promoted, timeout=30)
            with schema_context("alpha"):
                silent.refresh_from_db()
        finally:
            with schema_context("alpha"):
                Registration.objects.filter(event=event).delete()
                event.delete()
            connection.set_schema_to_public()
    assert done is not None, real_worker.log()
    assert silent.status == Registration.Status.EXPIRED
    assert "events.expire_holds" in real_worker.log()
