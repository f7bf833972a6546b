"""Registration to events: capacity, waiting list, promotion, under real concurrent transactions."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events import selectors, services
from apps.events.models import Event, Registration


def make_event(**overrides) -> Event:
    start = timezone.now() + timedelta(days=7)
    fields = {
        "title": "Soirée des soignants",
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "visibility": Event.Visibility.PUBLIC,
        "capacity": 2,
    }
    fields.update(overrides)
    return Event.objects.create(**fields)


def test_concurrent_registrations_never_overbook_and_the_rest_wait(world, django_db_blocker):
    """Ten people click at once for three places: three confirmed, seven on the waiting list."""
    users_model = get_user_model()
    with django_db_blocker.unblock():
        # Accounts are global and stay (deleting one would cascade into every CPTS schema).
        tag = uuid.uuid4().hex[:8]
        people = [users_model.objects.create_user(f"course{i}-{tag}@test.fr", "x" * 12) for i in range(10)]
        with schema_context(world.a.schema_name):
            event = make_event(capacity=3)
        barrier = threading.Barrier(len(people))
        errors: list[BaseException] = []

        def register(person):
            try:
                with schema_context(world.a.schema_name):
                    barrier.wait(timeout=20)
                    services.register(actor=person, event=event)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=register, args=(p,)) for p in people]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            with schema_context(world.a.schema_name):
                statuses = sorted(Registration.objects.filter(event=event).values_list("status", flat=True))
                waiting = list(
                    Registration.objects.filter(event=event, status=Registration.Status.WAITLISTED)
                    .order_by("queued_at", "pk")
                    .values_list("user_id", flat=True)
                )
                first_confirmed = Registration.objects.filter(
                    event=event, status=Registration.Status.CONFIRMED
                ).first()
                mail.outbox.clear()
                promoted = services.cancel_registration(
                    actor=first_confirmed.user, registration=first_confirmed
                )
                confirmed_after = Registration.objects.filter(
                    event=event, status=Registration.Status.CONFIRMED
                ).count()
        finally:
            with schema_context(world.a.schema_name):
                event.delete()
            connection.set_schema_to_public()

    assert errors == []
    assert statuses.count("confirmed") == 3
    assert statuses.count("waitlisted") == 7
    # The first person in the queue gets the freed place, and is told so.
    assert promoted is not None and promoted.user_id == waiting[0]
    assert confirmed_after == 3
    assert len(mail.outbox) == 1 and "Une place s'est libérée" in mail.outbox[0].subject


def test_cancelling_a_waitlisted_registration_promotes_nobody(world, db, alice, bob):
    with schema_context(world.a.schema_name):
        event = make_event(capacity=1)
        services.register(actor=alice, event=event)
        waiting = services.register(actor=bob, event=event)
        assert waiting.status == Registration.Status.WAITLISTED
        assert services.cancel_registration(actor=bob, registration=waiting) is None
        assert Registration.objects.filter(event=event, status="confirmed").count() == 1


def test_raising_the_capacity_promotes_the_waiting_list_in_order(world, db, alice, bob):
    with schema_context(world.a.schema_name):
        event = make_event(capacity=0)
        first = services.register(actor=alice, event=event)
        second = services.register(actor=bob, event=event)
        services.update_event(actor=alice, event=event, data={"capacity": 1})
        first.refresh_from_db()
        second.refresh_from_db()
    assert (first.status, second.status) == ("confirmed", "waitlisted")


def test_registering_twice_keeps_one_registration_and_a_cancelled_one_can_come_back(world, db, bob):
    with schema_context(world.a.schema_name):
        event = make_event(capacity=5)
        first = services.register(actor=bob, event=event)
        again = services.register(actor=bob, event=event)
        services.cancel_registration(actor=bob, registration=first)
        back = services.register(actor=bob, event=event)
        count = Registration.objects.filter(event=event).count()
    assert first.pk == again.pk == back.pk and back.status == "confirmed" and count == 1


def test_it_refuses_registration_when_closed_or_past(world, db, bob):
    with schema_context(world.a.schema_name):
        closed = make_event(registration_open=False)
        past = make_event(
            starts_at=timezone.now() - timedelta(days=2), ends_at=timezone.now() - timedelta(days=1)
        )
        for event in (closed, past):
            with pytest.raises(ValidationError):
                services.register(actor=bob, event=event)
        assert not Registration.objects.filter(event__in=[closed, past]).exists()


def test_a_members_only_event_refuses_an_account_without_membership(world, db, charlie):
    with schema_context(world.a.schema_name):
        event = make_event(visibility=Event.Visibility.MEMBERS)
        with pytest.raises(PermissionDenied):
            services.register(actor=charlie, event=event)
        assert not Registration.objects.filter(event=event).exists()


def test_a_plain_member_cannot_create_or_change_events(world, db, bob):
    with schema_context(world.a.schema_name):
        event = make_event(capacity=5)
        with pytest.raises(PermissionDenied):
            services.update_event(actor=bob, event=event, data={"capacity": 50})
        event.refresh_from_db()
    assert event.capacity == 5


def test_upcoming_public_events_for_the_site_hide_members_only_drafts_and_past_events(world, db):
    now = timezone.now()
    with schema_context(world.a.schema_name):
        soon = make_event(
            title="Bientôt", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2)
        )
        later = make_event(
            title="Plus tard", starts_at=now + timedelta(days=9), ends_at=now + timedelta(days=9, hours=1)
        )
        make_event(title="Membres", visibility=Event.Visibility.MEMBERS)
        make_event(title="Brouillon", status=Event.Status.DRAFT)
        make_event(title="Passé", starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2))
        listed = selectors.list_upcoming_public_events(limit=5)
        limited = selectors.list_upcoming_public_events(limit=1)
    with schema_context(world.b.schema_name):
        in_b = selectors.list_upcoming_public_events(limit=5)
    assert [e.pk for e in listed] == [soon.pk, later.pk]
    assert [e.pk for e in limited] == [soon.pk]
    assert listed[0].confirmed_count == 0
    assert in_b == []
