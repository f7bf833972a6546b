"""The one mail path (apps.mailing.mail): sent through real SMTP to the local catcher."""

from __future__ import annotations

import smtplib
import socket
import threading
from datetime import timedelta

import pytest
from celery import shared_task
from django.db import connections
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.mailing import mail
from apps.mailing.models import SentMail, Suppression
from workers.base import RETRY_BACKOFF_MAX_SECONDS, RETRY_MAX, TenantTask

TEMPLATE = "members/email/role_change"


def _send(key="tests.hello:1", to="bob@test.fr", **extra):
    return mail.send(
        key=key,
        to=to,
        subject="Votre rôle dans l'équipe a changé",
        template=TEMPLATE,
        context={"change": None, "url": "http://alpha.localhost/"},
        kind="tests.hello",
        **extra,
    )


def test_a_mail_leaves_from_the_cpts_name_with_the_platform_address_in_text_and_html(
    world, db, smtp_inbox, settings
):
    settings.DEFAULT_FROM_EMAIL = "Plateforme des CPTS <ne-pas-repondre@cpts.example>"
    with schema_context(world.a.schema_name):
        assert _send() is mail.Outcome.SENT
    (received,) = smtp_inbox.messages()
    assert received["envelope_to"] == ["bob@test.fr"]
    assert received["from"] == "CPTS Alpha <ne-pas-repondre@cpts.example>"
    assert received["envelope_from"] == "ne-pas-repondre@cpts.example"
    assert received["subject"] == "Votre rôle dans l'équipe a changé"
    assert "http://alpha.localhost/" in received["text"] and "&#x27;" not in received["text"]
    # The HTML part: the text in the platform's layout, headed by the CPTS's name.
    assert "CPTS Alpha" in received["html"] and 'href="http://alpha.localhost/"' in received["html"]
    assert received["headers"]["Message-ID"].endswith("@cpts.example>")
    stamp = SentMail.objects.get(schema=world.a.schema_name, key="tests.hello:1")
    assert stamp.recipients == ["bob@test.fr"] and stamp.message_id == received["headers"]["Message-ID"]


def test_the_same_key_sends_once_per_cpts(world, db, smtp_inbox):
    with schema_context(world.a.schema_name):
        assert _send() is mail.Outcome.SENT
        assert _send() is mail.Outcome.ALREADY_SENT
    with schema_context(world.b.schema_name):
        # The same key in another CPTS is another mail.
        assert _send(to="charlie@test.fr") is mail.Outcome.SENT
    assert [m["envelope_to"] for m in smtp_inbox.messages()] == [["bob@test.fr"], ["charlie@test.fr"]]
    assert [m["from"].split(" <")[0] for m in smtp_inbox.messages()] == ["CPTS Alpha", "CPTS Bêta"]


def test_without_a_key_every_call_sends(world, db, smtp_inbox):
    with schema_context(world.a.schema_name):
        assert _send(key=None) is mail.Outcome.SENT
        assert _send(key=None) is mail.Outcome.SENT
    assert len(smtp_inbox.messages()) == 2


def test_a_mail_server_that_refuses_leaves_nothing_stamped_and_the_next_try_sends(
    world, db, smtp_inbox, settings
):
    settings.EMAIL_PORT = _closed_port()
    with schema_context(world.a.schema_name):
        with pytest.raises(ConnectionRefusedError):
            _send()
        assert not SentMail.objects.filter(key="tests.hello:1").exists()
        settings.EMAIL_PORT = smtp_inbox.smtp_port
        assert _send() is mail.Outcome.SENT
    assert len(smtp_inbox.messages()) == 1


def test_a_mail_being_sent_by_another_worker_is_not_sent_again_nor_waited_for(
    world, db, smtp_inbox, django_db_blocker
):
    """Another transaction holds this mail's claim (a worker in the middle of the SMTP exchange):
    the second sender returns at once, sends nothing."""
    held, release = threading.Event(), threading.Event()

    def other_worker():
        with django_db_blocker.unblock():
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("BEGIN")
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                        [f"mail:{world.a.schema_name}:tests.hello:1"],
                    )
                    held.set()
                    release.wait(10)
                    cursor.execute("ROLLBACK")
            finally:
                connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        with schema_context(world.a.schema_name):
            assert _send() is mail.Outcome.IN_PROGRESS
    finally:
        release.set()
        thread.join(10)
    assert smtp_inbox.messages() == []


def test_a_suppressed_address_receives_nothing(world, db, smtp_inbox):
    Suppression.objects.create(address="bob@test.fr", reason=Suppression.Reason.BOUNCED)
    with schema_context(world.a.schema_name):
        assert _send(to="BOB@test.fr") is mail.Outcome.SUPPRESSED
        assert _send(key="tests.hello:2", to=["bob@test.fr", "alice@test.fr"]) is mail.Outcome.SENT
    assert [m["envelope_to"] for m in smtp_inbox.messages()] == [["alice@test.fr"]]


def test_a_complaint_stops_optional_mail_only_and_a_bounce_stops_everything_for_a_while(
    world, db, smtp_inbox
):
    Suppression.objects.create(address="bob@test.fr", reason=Suppression.Reason.COMPLAINED)
    bounced = Suppression.objects.create(address="carol@test.fr", reason=Suppression.Reason.BOUNCED)
    optional = {"headers": {"List-Unsubscribe": "<http://alpha.localhost/desabonnement/x/>"}}
    with schema_context(world.a.schema_name):
        assert _send(key="tests.hello:1", to="bob@test.fr") is mail.Outcome.SENT  # a receipt, a reset…
        assert _send(key="tests.hello:2", to="bob@test.fr", **optional) is mail.Outcome.SUPPRESSED
        assert _send(key="tests.hello:3", to="carol@test.fr") is mail.Outcome.SUPPRESSED
        Suppression.objects.filter(pk=bounced.pk).update(
            created_at=timezone.now() - timedelta(days=mail.BOUNCE_SUPPRESSION_DAYS + 1)
        )
        assert _send(key="tests.hello:4", to="carol@test.fr") is mail.Outcome.SENT
    assert [m["envelope_to"] for m in smtp_inbox.messages()] == [["bob@test.fr"], ["carol@test.fr"]]


ATTEMPTS: list[int] = []


@shared_task(base=TenantTask, name="tests.mail_when_the_server_answers", bind=True)
def mail_when_the_server_answers_task(self, schema_name: str, good_port: int) -> str:
    """Fails twice (mail server refusing), then sends: the retries come from the base alone."""
    ATTEMPTS.append(self.request.retries)
    if len(ATTEMPTS) < 3:
        raise smtplib.SMTPServerDisconnected("the server closed the connection")
    return _send().value


def test_the_task_base_retries_a_mail_server_that_did_not_answer(world, db, smtp_inbox):
    ATTEMPTS.clear()
    result = mail_when_the_server_answers_task.apply(args=(world.a.schema_name, smtp_inbox.smtp_port)).get()
    assert result == "sent" and ATTEMPTS == [0, 1, 2]
    assert len(smtp_inbox.messages()) == 1
    task = mail_when_the_server_answers_task
    assert (task.max_retries, task.retry_backoff_max, task.retry_jitter) == (
        RETRY_MAX,
        RETRY_BACKOFF_MAX_SECONDS,
        True,
    )
    assert smtplib.SMTPException in task.autoretry_for


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_password_reset_mail_goes_through_the_one_path(world, db, smtp_inbox):
    response = Client(HTTP_HOST="alpha.localhost").post(
        "/compte/mot-de-passe/oubli/", {"email": "bob@test.fr"}
    )
    assert response.status_code == 302
    (received,) = smtp_inbox.messages()
    assert received["envelope_to"] == ["bob@test.fr"] and received["from"].startswith("CPTS Alpha <")
    assert received["subject"] == "Réinitialisation de votre mot de passe"
    assert "alpha.localhost/compte/mot-de-passe/" in received["text"] and received["html"]
    assert SentMail.objects.filter(kind="accounts.password_reset", schema=world.a.schema_name).count() == 1
