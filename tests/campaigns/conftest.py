"""Campaign and digest tests send through real SMTP, to an aiosmtpd server started here."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from apps.campaigns import ratelimit
from apps.members.services import grant_role


@dataclass
class Sink:
    """What the SMTP server received, in order."""

    port: int
    controller: Controller | None = None
    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if address in m["X-Envelope-To"]]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


def start_sink() -> Sink:
    """Start an aiosmtpd server on a free loopback port (stop it with ``sink.controller.stop()``)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink(port=port)
    sink.controller = Controller(sink, hostname="127.0.0.1", port=port)
    sink.controller.start()
    return sink


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on loopback; Django sends to it for the test's duration."""
    sink = start_sink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    try:
        yield sink
    finally:
        sink.controller.stop()


@pytest.fixture(autouse=True)
def _fresh_buckets():
    """Token buckets and digest runs live in Redis, which tests do not roll back."""
    client = ratelimit.client()
    for key in client.scan_iter("mail:*"):
        client.delete(key)
    for key in client.scan_iter("digest:*"):
        client.delete(key)
    yield


def make_member(schema: str, email_address: str, *, role: str = "member", exempt: bool = True, **names):
    """A new account with a membership in ``schema`` (à jour when ``exempt``)."""
    user = get_user_model().objects.create_user(email_address, "x-password-123", **names)
    with schema_context(schema):
        grant_role(user=user, role=role, dues_exempt=exempt)
    return user
