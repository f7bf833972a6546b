"""A receipt the mail path refused to send (the payer's address is blocked after a hard bounce)
is not « envoyé »: the real outcome is kept, the team sees « non envoyé (adresse bloquée) » and can
send it again once the address is fixed; the repair does not retry it every quarter hour."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from apps.dues import services as dues_services
from apps.mailing.models import Suppression
from apps.payments import card
from apps.payments import services as payment_services
from apps.payments.models import Receipt
from tests.conftest import HOST_A
from tests.dues.conftest import in_schema
from tests.dues.test_join_and_offline import _join


def test_a_receipt_not_sent_to_a_blocked_address_is_shown_as_not_sent_and_can_be_sent_again(
    community_a, client_as, alice, bob, django_capture_on_commit_callbacks
):
    dues = _join(client_as(bob, HOST_A), community_a, bob)
    connection.set_schema_to_public()
    Suppression.objects.create(address="bob@test.fr", reason=Suppression.Reason.BOUNCED)
    with in_schema(community_a), django_capture_on_commit_callbacks(execute=True):
        payment = dues_services.record_offline_payment(actor=alice, dues=dues, method="cheque")
    with in_schema(community_a):
        receipt = Receipt.objects.get(payment=payment)
        repaired = card.reconcile_pending(older_than_seconds=0).get("receipts", 0)
    assert (receipt.emailed_at, receipt.email_outcome) == (None, "suppressed")
    assert repaired == 0  # not retried every 15 minutes: the team decides
    team = client_as(alice, HOST_A)
    page = team.get(f"/equipe/adherents/{dues.membership_id}/").text
    assert f"{receipt.number}</a> (non envoyé (adresse bloquée))" in page

    connection.set_schema_to_public()
    Suppression.objects.filter(address="bob@test.fr").delete()  # the address was fixed
    with in_schema(community_a), django_capture_on_commit_callbacks(execute=True):
        payment_services.resend_receipt(actor=alice, payment=payment)
    with in_schema(community_a):
        receipt.refresh_from_db()
    assert receipt.emailed_at is not None and receipt.email_outcome == "sent"
    assert "non envoyé" not in team.get(f"/equipe/adherents/{dues.membership_id}/").text


def test_a_receipt_sent_is_recorded_as_sent(
    community_a, client_as, alice, bob, django_capture_on_commit_callbacks
):
    dues = _join(client_as(bob, HOST_A), community_a, bob)
    with in_schema(community_a), django_capture_on_commit_callbacks(execute=True):
        payment = dues_services.record_offline_payment(actor=alice, dues=dues, method="cheque")
    with schema_context(community_a.schema_name):
        receipt = Receipt.objects.get(payment=payment)
    assert receipt.emailed_at is not None and receipt.email_outcome == "sent"
