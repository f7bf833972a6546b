"""The team notification of a visitor message: runs twice, sends once; and through a real worker."""

import pytest
from django.core import mail
from django.db import connection
from django_tenants.utils import schema_context

from apps.site.models import SiteSettings, VisitorMessage
from tests.conftest import wait_until
from workers.site import notify_team_of_message_task


def test_the_notification_runs_twice_and_sends_once(community_a):
    with schema_context(community_a.schema_name):
        SiteSettings.objects.filter(pk=1).update(contact_email="coordination@alpha.fr")
        message = VisitorMessage.objects.create(
            kind="idea", name="Inès", email="ines@test.fr", body="Une idée"
        )
    first = notify_team_of_message_task.apply(args=(community_a.schema_name, message.pk)).get()
    second = notify_team_of_message_task.apply(args=(community_a.schema_name, message.pk)).get()
    assert (first, second) == ("sent", "skipped")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["coordination@alpha.fr"]


def test_the_notification_of_another_cpts_message_id_finds_nothing_in_b(community_a, community_b):
    with schema_context(community_a.schema_name):
        message = VisitorMessage.objects.create(kind="contact", name="A", email="a@test.fr", body="Pour A")
    with schema_context(community_b.schema_name):
        exists_in_b = VisitorMessage.objects.filter(pk=message.pk).exists()
    assert not exists_in_b
    assert notify_team_of_message_task.apply(args=(community_b.schema_name, message.pk)).get() == "skipped"
    assert mail.outbox == []


@pytest.mark.worker
def test_a_real_worker_emails_the_team_about_a_contact_message(real_worker, world, django_db_blocker):
    from apps.site.services import submit_visitor_message

    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            message = submit_visitor_message(
                kind="contact",
                name="Dr Worker",
                email="dr.worker@cabinet.fr",
                subject="Remplacement cet été",
                body="Je cherche un remplaçant pour août.",
                client_ip="10.9.9.9",
            )
        try:

            def notified():
                with schema_context(world.a.schema_name):
                    return VisitorMessage.objects.filter(pk=message.pk, notified_at__isnull=False).first()

            done = wait_until(notified, timeout=30)
        finally:
            with schema_context(world.a.schema_name):
                VisitorMessage.objects.filter(pk=message.pk).delete()
            connection.set_schema_to_public()

    assert done.notified_at is not None
    mails = real_worker.sent_mails()
    assert len(mails) == 1, real_worker.log()
    assert "To: alice@test.fr" in mails[0]
    assert "Reply-To: dr.worker@cabinet.fr" in mails[0]
    assert "Remplacement cet =C3=A9t=C3=A9" in mails[0] or "Remplacement cet été" in mails[0]
    assert "site.notify_message" in real_worker.log()
