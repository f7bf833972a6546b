"""Bounces and complaints through django-anymail's tracking webhook (Brevo's, as in production):
signed with the webhook secret, stored once, tenant found from our own message id."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from apps.mailing import mail
from apps.mailing.apps import webhook_secret_is_set
from apps.mailing.models import DeliveryEvent, SentMail, Suppression
from tests.conftest import PLATFORM_HOST

SECRET = "brevo-webhook:7f3a9c1e"
WEBHOOK = "/anymail/brevo/tracking/"


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def _send(key: str, to: str) -> SentMail:
    with schema_context("alpha"):
        mail.send(key=key, to=to, subject="Bienvenue", template="members/email/role_change", context={})
    return SentMail.objects.get(schema="alpha", key=key)


def _post(event: dict, secret: str = SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return Client(HTTP_HOST=PLATFORM_HOST).post(
        WEBHOOK, json.dumps(event), content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}"
    )


def _event(kind: str, sent: SentMail, email: str, ts: int = 1764763200000) -> dict:
    return {
        "event": kind,
        "email": email,
        "message-id": "<202612031200.12345@smtp-relay.mailin.fr>",
        "X-Mailin-custom": json.dumps({"schema": "beta", "message_id": sent.message_id}),
        "ts_epoch": ts,
        "reason": "550 5.1.1 mailbox unknown",
    }


def test_a_bounce_webhook_signed_then_forged_then_replayed_suppresses_once_and_only_for_real_events(
    world, db, smtp_inbox, webhook_secret
):
    sent = _send("tests.bounce:1", "bob@test.fr")
    bounce = _event("hard_bounce", sent, "bob@test.fr")

    forged = _post(bounce, secret="brevo-webhook:guessed")
    assert forged.status_code == 400
    assert not Suppression.objects.exists() and not DeliveryEvent.objects.exists()

    signed = _post(bounce)
    assert signed.status_code == 200
    (stored,) = DeliveryEvent.objects.all()
    # The CPTS comes from our own message id, not from what the payload says (« beta »).
    assert (stored.schema, stored.sent_mail_id, stored.event_type) == ("alpha", sent.pk, "bounced")
    assert list(Suppression.objects.values_list("address", "reason")) == [("bob@test.fr", "bounced")]

    replayed = _post(bounce)
    assert replayed.status_code == 200
    assert DeliveryEvent.objects.count() == 1 and Suppression.objects.count() == 1

    # Real events that must not suppress: a soft bounce, a bounce for an address the message was not
    # sent to, a complaint about a message that is not ours.
    other = _send("tests.bounce:2", "alice@test.fr")
    assert _post(_event("soft_bounce", other, "alice@test.fr")).status_code == 200
    assert _post(_event("hard_bounce", other, "charlie@test.fr", ts=1764763300000)).status_code == 200
    stranger = _event("spam", other, "alice@test.fr", ts=1764763400000)
    stranger["X-Mailin-custom"] = json.dumps({"message_id": "<not-ours@elsewhere.example>"})
    assert _post(stranger).status_code == 200
    assert list(Suppression.objects.values_list("address", flat=True)) == ["bob@test.fr"]
    assert DeliveryEvent.objects.count() == 4

    # A complaint about our mail suppresses its address too.
    assert _post(_event("spam", other, "alice@test.fr", ts=1764763500000)).status_code == 200
    assert Suppression.objects.get(address="alice@test.fr").reason == "complained"

    # The next send to a suppressed address does not leave.
    smtp_inbox.clear()
    with schema_context("alpha"):
        outcome = mail.send(
            key="tests.bounce:3", to="bob@test.fr", subject="Encore", template="members/email/role_change"
        )
    assert outcome is mail.Outcome.SUPPRESSED and smtp_inbox.messages() == []


def test_without_the_webhook_secret_in_production_the_deploy_check_fails(settings):
    settings.EMAIL_BACKEND = "anymail.backends.brevo.EmailBackend"
    settings.ANYMAIL = {"BREVO_API_KEY": "xkeysib-test"}
    assert [error.id for error in webhook_secret_is_set()] == ["mailing.E001"]
    settings.ANYMAIL = {"BREVO_API_KEY": "xkeysib-test", "WEBHOOK_SECRET": SECRET}
    assert webhook_secret_is_set() == []
