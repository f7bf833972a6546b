"""A refund gives the platform's commission back to the CPTS (docs/payments.md, « Commission »):
the CPTS pays back the full price, so the platform returns the share it took on that price."""

from __future__ import annotations

from decimal import Decimal

from django_tenants.utils import schema_context

from apps.dues.models import DuesSettings
from apps.payments import card
from apps.payments import services as payment_services
from apps.payments.models import Payment
from tests.conftest import HOST_A
from tests.dues.conftest import connect
from tests.dues.test_webhooks import VISA, _confirm, _start_payment
from tests.payments.wire import install

# localstripe implements neither parameter (no Connect): recorded on the wire, not forwarded.
CONNECT_ONLY = ("application_fee_amount", "refund_application_fee")


def test_a_refund_of_a_card_payment_gives_the_platform_fee_back(
    community_a, alice, bob, client_as, monkeypatch, settings
):
    connect(community_a, alice)
    with schema_context(community_a.schema_name):
        DuesSettings.load()
        DuesSettings.objects.filter(pk=1).update(platform_fee_percent=Decimal("10"))
    settings.STRIPE_EMBEDDED = False  # the code path used with the real Stripe (Connect)
    wire = install(monkeypatch, drop=CONNECT_ONLY)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    assert payment.platform_fee == Decimal("0.50")
    assert _confirm(client, payment, VISA)["status"] == "succeeded"
    with schema_context(community_a.schema_name):
        assert card.sync_payment(payment.pk) == "succeeded"
        payment_services.refund_payment(actor=alice, payment=Payment.objects.get(pk=payment.pk))
        payment.refresh_from_db()
    created = [s.params for s in wire.sent if (s.method, s.path) == ("POST", "/v1/payment_intents")]
    refunds = [s.params for s in wire.sent if (s.method, s.path) == ("POST", "/v1/refunds")]
    assert [p.get("application_fee_amount") for p in created] == ["50"]
    assert len(refunds) == 1 and refunds[0].get("refund_application_fee") == "true", refunds
    assert payment.status == Payment.Status.REFUNDED


def test_a_refund_of_a_payment_without_platform_fee_sends_no_fee_parameter(
    community_a, alice, bob, client_as, monkeypatch, settings
):
    connect(community_a, alice)
    settings.STRIPE_EMBEDDED = False
    wire = install(monkeypatch, drop=CONNECT_ONLY)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    assert _confirm(client, payment, VISA)["status"] == "succeeded"
    with schema_context(community_a.schema_name):
        card.sync_payment(payment.pk)
        payment_services.refund_payment(actor=alice, payment=Payment.objects.get(pk=payment.pk))
    refunds = [s.params for s in wire.sent if (s.method, s.path) == ("POST", "/v1/refunds")]
    assert len(refunds) == 1 and "refund_application_fee" not in refunds[0]
