"""Helpers of the dues tests: joining, connecting a CPTS to (local)Stripe, signed events."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

PROFILE = {
    "profile-profession": "60",
    "profile-identifier_type": "rpps",
    "profile-identifier": "10000000009",
    "profile-practice_mode": "L",
    "profile-practice_place": "Cabinet infirmier du Port",
    "profile-commune": "Lorient",
    "profile-postcode": "56100",
    "profile-phone": "02 97 00 00 00",
}


def join_data(tier_id: int, category: str = "liberal") -> dict:
    return {**PROFILE, "join-eligibility_category": category, "join-tier": str(tier_id), "join-consent": "on"}


def connect(community, actor):
    """Give ``community`` a (simulated, localstripe) connected account."""
    from apps.stripe_gateway.connect import start_onboarding

    connection.set_schema_to_public()
    start_onboarding(actor=actor, community=community, refresh_url="http://x/", return_url="http://x/")
    community.refresh_from_db()
    return community.stripe_account_id


def sign(payload: bytes, secret: str | None = None, timestamp: int | None = None) -> str:
    timestamp = timestamp or int(time.time())
    secret = secret or settings.STRIPE_WEBHOOK_SECRET
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def post_event(client, event: dict, secret: str | None = None):
    payload = json.dumps(event).encode()
    return client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret),
    )


def event(event_id: str, type_: str, obj: dict, account: str | None = None) -> dict:
    data = {
        "id": event_id,
        "object": "event",
        "type": type_,
        "created": int(time.time()),
        "data": {"object": obj},
    }
    if account:
        data["account"] = account
    return data


def card_token(number: str) -> str:
    """What Stripe.js (localstripe's stand-in) does in the browser: tokenise a test card."""
    response = requests.post(
        f"{settings.STRIPE_API_BASE}/v1/tokens",
        data={
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "34",
            "card[cvc]": "123",
            "key": settings.STRIPE_PUBLISHABLE_KEY,
        },
        timeout=5,
    )
    response.raise_for_status()
    return response.json()["card"]["id"]


def authenticate_3ds(client_secret: str, success: bool = True) -> dict:
    """What the stand-in's confirmCardPayment does when the member completes (or fails) 3-D Secure."""
    intent_id = client_secret.split("_secret_")[0]
    response = requests.post(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{intent_id}/_authenticate",
        params={"success": "true" if success else "false"},
        json={"key": settings.STRIPE_PUBLISHABLE_KEY, "client_secret": client_secret},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


@contextmanager
def in_schema(community):
    with schema_context(community.schema_name):
        yield


@pytest.fixture
def webhook_server(world):
    """A real HTTP server for the platform (own thread, own DB connections, committed data
    only), registered with localstripe as the webhook endpoint for the duration of the test."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    from apps.stripe_gateway.management.commands.register_stripe_webhook import register_with_localstripe

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(StaticFilesHandler(WSGIHandler()))  # static files too, for browsers
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    register_with_localstripe(f"http://{settings.PLATFORM_DOMAIN}:{port}/stripe/webhook/")
    try:
        yield f"http://{settings.PLATFORM_DOMAIN}:{port}"
    finally:
        # localstripe cannot forget a webhook: point it at the discard port instead.
        register_with_localstripe("http://127.0.0.1:9/stripe/webhook/")
        server.shutdown()
        server.server_close()
