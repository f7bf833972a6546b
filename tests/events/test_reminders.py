"""Event reminders: due ones only, once each; a real worker sends them; the beat entry fans out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events.models import Event, Registration
from tests.conftest import wait_until
from workers.events import fan_out_reminders_task, send_event_reminders_task


def make_event(hours_ahead: float, **overrides) -> Event:
    start = timezone.now() + timedelta(hours=hours_ahead)
    fields = {
        "title": "Soirée SNP",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "location": "Mairie",
    }
    fields.update(overrides)
    return Event.objects.create(**fields)


def test_reminders_go_once_to_confirmed_people_of_events_in_their_window(world, db, alice, bob):
    with schema_context("alpha"):
        due = make_event(5)
        later = make_event(60)
        silent = make_event(2, reminder_hours_before=0)
        Registration.objects.create(event=due, user=alice, status="confirmed")
        Registration.objects.create(event=due, user=bob, status="waitlisted")
        Registration.objects.create(event=later, user=alice, status="confirmed")
        Registration.objects.create(event=silent, user=alice, status="confirmed")
        mail.outbox.clear()
        first = send_event_reminders_task.apply(args=("alpha",)).get()
        second = send_event_reminders_task.apply(args=("alpha",)).get()
    assert (first, second) == (1, 0)
    assert [m.to for m in mail.outbox] == [["alice@test.fr"]]
    assert "Rappel : Soirée SNP" == mail.outbox[0].subject and "Mairie" in mail.outbox[0].body


def test_the_beat_entry_fans_out_one_task_per_active_cpts():
    assert settings.CELERY_BEAT_SCHEDULE["events-reminders"]["task"] == "events.fan_out_reminders"


def test_the_fan_out_reaches_every_active_cpts(world, db):
    from tenants.models import Community

    active = Community.objects.filter(status="active").exclude(schema_name="public").count()
    assert fan_out_reminders_task.apply().get() == active >= 2


@pytest.mark.worker
def test_a_real_worker_sends_the_reminder_in_the_right_cpts(real_worker, world, django_db_blocker):
    with django_db_blocker.unblock():
        with schema_context("alpha"):
            event = make_event(3, title="Assises du territoire")
            registration = Registration.objects.create(event=event, user=world.bob, status="confirmed")
        try:
            send_event_reminders_task.delay("alpha")

            def reminded():
                with schema_context("alpha"):
                    return Registration.objects.filter(
                        pk=registration.pk, reminder_sent_at__isnull=False
                    ).first()

            done = wait_until(reminded, timeout=30)
        finally:
            with schema_context("alpha"):
                event.delete()
            connection.set_schema_to_public()
    assert done.reminder_sent_at is not None
    mails = real_worker.sent_mails()
    assert len(mails) == 1, real_worker.log()
    assert "To: bob@test.fr" in mails[0] and "Assises du territoire" in mails[0]
    assert "http://alpha.localhost/evenements/" in mails[0]
    assert "events.send_event_reminders" in real_worker.log()


def test_cancelling_an_event_tells_everyone_registered_once(
    world, db, alice, bob, django_capture_on_commit_callbacks
):
    from apps.events import services
    from workers.events import send_cancellation_notices_task

    with schema_context("alpha"):
        event = make_event(48, capacity=1)
        services.register(actor=alice, event=event)
        services.register(actor=bob, event=event)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.update_event(actor=alice, event=event, data={"status": "cancelled"})
        again = send_cancellation_notices_task.apply(args=("alpha", event.pk)).get()
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@test.fr", "bob@test.fr"]
    assert again == 0
    assert mail.outbox[0].subject == "Événement annulé : Soirée SNP"
