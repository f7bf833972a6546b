"""A chargeback costs the CPTS a fee (15 € in France) that Stripe takes from its balance with the
disputed amount; if the dispute is won and Stripe gives the fee back, that is recorded too. And the
CPTS's team is told of the dispute, once, with the link to the payment.

The events are built as Stripe documents them (a Dispute object whose ``balance_transactions``
list the funds withdrawn and, once won, reinstated, each with its ``fee``): localstripe has no
Dispute API. They are signed with the webhook secret and posted to our real webhook endpoint.
"""

from __future__ import annotations

import time
from decimal import Decimal

from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.members.services import grant_role
from apps.notifications.models import Notification
from apps.payments.models import Payment
from tests.conftest import HOST_A, PLATFORM_HOST
from tests.dues.conftest import post_event
from tests.events.test_paid_registration import _card_paid
from tests.events.test_paid_registration import _succeeded as _seat_succeeded
from tests.payments.test_disputes_and_partial_refunds import _charge, _dispute_event, _paid_dues


def _withdrawal(payment: Payment, dispute_id: str) -> dict:
    """The balance transaction of the funds withdrawn: the amount and Stripe's dispute fee."""
    return {
        "id": f"txn_dw_{dispute_id}",
        "object": "balance_transaction",
        "amount": -500,
        "currency": "eur",
        "description": f"Chargeback withdrawal for {_charge(payment)['id']}",
        "fee": 1500,
        "fee_details": [
            {"amount": 1500, "application": None, "currency": "eur", "description": "Dispute fee",
             "type": "stripe_fee"}
        ],
        "net": -2000,
        "reporting_category": "dispute",
        "source": dispute_id,
        "status": "pending",
        "type": "adjustment",
    }  # fmt: skip


def _reinstatement(payment: Payment, dispute_id: str, fee: int) -> dict:
    """The balance transaction of the funds reinstated after a dispute won; ``fee`` negative when
    Stripe gives its dispute fee back."""
    return {
        "id": f"txn_dr_{dispute_id}",
        "object": "balance_transaction",
        "amount": 500,
        "currency": "eur",
        "description": f"Chargeback reversal for {_charge(payment)['id']}",
        "fee": fee,
        "fee_details": (
            [{"amount": fee, "application": None, "currency": "eur", "description": "Dispute fee",
              "type": "stripe_fee"}] if fee else []
        ),
        "net": 500 - fee,
        "reporting_category": "dispute_reversal",
        "source": dispute_id,
        "status": "pending",
        "type": "adjustment",
    }  # fmt: skip


def _dispute(payment, event_id, type_, status, created, transactions, dispute_id=None) -> dict:
    data = _dispute_event(payment, event_id, type_, status, created)
    obj = data["data"]["object"]
    if dispute_id:
        obj["id"] = dispute_id
    obj["balance_transactions"] = transactions
    obj["evidence_details"] = {"due_by": created + 21 * 86400, "has_evidence": False, "past_due": False,
                               "submission_count": 0}  # fmt: skip
    return data


def _fee_lines(payment: Payment) -> list[tuple]:
    with schema_context("alpha"):
        return list(
            AuditEvent.objects.filter(target_id=str(payment.pk), action__startswith="payments.dispute_fee")
            .order_by("pk")
            .values_list("action", "by_platform", "details")
        )


def _member_page(client_as, alice, payment: Payment) -> str:
    with schema_context("alpha"):
        membership_id = Payment.objects.select_related("dues").get(pk=payment.pk).dues.membership_id
    return client_as(alice, HOST_A).get(f"/equipe/adherents/{membership_id}/").text


def test_a_dispute_fee_is_recorded_once_and_given_back_when_the_dispute_is_won(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    payment = _paid_dues(community_a, alice, bob, client_as, django_capture_on_commit_callbacks)
    dp = f"dp_{payment.pk}"
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    now = int(time.time())
    withdrawn = [_withdrawal(payment, dp)]
    opened = _dispute(
        payment, "evt_fee_open", "charge.dispute.created", "needs_response", now - 90, withdrawn
    )
    funds = _dispute(
        payment, "evt_fee_wd", "charge.dispute.funds_withdrawn", "needs_response", now - 80, withdrawn
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(platform, opened).status_code == 200
        assert post_event(platform, opened).status_code == 200  # the same event delivered twice
        assert post_event(platform, funds).status_code == 200  # the same withdrawal in another event

    charged = ("payments.dispute_fee_charged", True,
               {"fee": "15.00", "currency": "eur", "dispute": dp, "balance_transaction": f"txn_dw_{dp}"})  # fmt: skip
    assert _fee_lines(payment) == [charged]
    assert "(frais de contestation Stripe de 15,00 €)" in _member_page(client_as, alice, payment)
    figures = client_as(alice, HOST_A).get("/equipe/cotisations/chiffres/").text
    assert "Frais de litige" in figures and "15,00" in figures
    with schema_context("alpha"):
        payment.refresh_from_db()
    assert (payment.dispute_fee, payment.dispute_fee_returned) == (Decimal("15.00"), Decimal("0"))
    assert payment.status == Payment.Status.SUCCEEDED

    # Won: the funds come back, with the fee when Stripe returns it (its own balance transaction).
    both = [*withdrawn, _reinstatement(payment, dp, -1500)]
    won = _dispute(payment, "evt_fee_won", "charge.dispute.closed", "won", now - 20, both)
    back = _dispute(payment, "evt_fee_back", "charge.dispute.funds_reinstated", "won", now - 10, both)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(platform, won)
        post_event(platform, back)
        post_event(platform, won)
    returned = ("payments.dispute_fee_returned", True,
                {"fee": "15.00", "currency": "eur", "dispute": dp, "balance_transaction": f"txn_dr_{dp}"})  # fmt: skip
    assert _fee_lines(payment) == [charged, returned]
    page = _member_page(client_as, alice, payment)
    assert "gagnée, le paiement reste acquis" in page
    assert "(frais de contestation Stripe de 15,00 €, rendus)" in page
    with schema_context("alpha"):
        payment.refresh_from_db()
    assert (payment.dispute_fee, payment.dispute_fee_returned) == (Decimal("15.00"), Decimal("15.00"))
    assert (payment.status, payment.dispute_status) == (Payment.Status.SUCCEEDED, "won")
    figures = client_as(alice, HOST_A).get("/equipe/cotisations/chiffres/").text
    assert "15,00" not in figures


def test_a_won_dispute_whose_fee_stripe_keeps_records_no_return(
    community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    payment = _paid_dues(community_a, alice, bob, client_as, django_capture_on_commit_callbacks)
    dp = f"dp_kept_{payment.pk}"
    now = int(time.time())
    both = [_withdrawal(payment, dp), _reinstatement(payment, dp, 0)]
    won = _dispute(payment, "evt_kept_won", "charge.dispute.closed", "won", now, both, dispute_id=dp)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), won)
    assert [action for action, _platform, _details in _fee_lines(payment)] == ["payments.dispute_fee_charged"]
    assert "(frais de contestation Stripe de 15,00 €)" in _member_page(client_as, alice, payment)


def test_the_team_of_that_cpts_only_is_told_of_a_dispute_once_with_the_link_to_the_payment(
    community_a, community_b, alice, bob, charlie, client_as, django_capture_on_commit_callbacks
):
    payment = _paid_dues(community_a, alice, bob, client_as, django_capture_on_commit_callbacks)
    with schema_context(community_b.schema_name):
        grant_role(user=charlie, role="team")  # the team of another CPTS
    mail.outbox.clear()
    dp = f"dp_{payment.pk}"
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    now = int(time.time())
    withdrawn = [_withdrawal(payment, dp)]
    opened = _dispute(
        payment, "evt_tell_open", "charge.dispute.created", "needs_response", now - 60, withdrawn
    )
    later = _dispute(payment, "evt_tell_upd", "charge.dispute.updated", "under_review", now - 30, withdrawn)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(platform, opened).status_code == 200
        post_event(platform, opened)  # replayed
        post_event(platform, later)  # the same dispute, later news

    with schema_context(community_a.schema_name):
        membership_id = Payment.objects.select_related("dues").get(pk=payment.pk).dues.membership_id
        told = list(Notification.objects.filter(kind="payments.dispute").values_list("user_id", "url"))
    with schema_context(community_b.schema_name):
        told_in_b = Notification.objects.filter(kind="payments.dispute").count()
    assert [message.to for message in mail.outbox] == [["alice@test.fr"]]
    message = mail.outbox[0]
    assert message.subject == "Contestation bancaire d'un paiement de 5,00 € — CPTS Alpha"
    body = message.body
    assert f"/equipe/adherents/{membership_id}/" in body
    assert "La banque de Bob Membre conteste un paiement par carte" in body
    assert "Motif indiqué par la banque : fraude alléguée." in body
    assert "frais de contestation de 15,00 €" in body
    assert "tableau de bord Stripe de la CPTS avant le " in body
    assert [user_id for user_id, _url in told] == [alice.pk] and told[0][1].endswith(
        f"/equipe/adherents/{membership_id}/"
    )
    assert told_in_b == 0

    # Another dispute on the same payment is news: told again.
    second = _dispute(payment, "evt_tell_2", "charge.dispute.created", "needs_response", now, [],
                      dispute_id=f"dp_second_{payment.pk}")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        post_event(platform, second)
    assert [message.to for message in mail.outbox] == [["alice@test.fr"], ["alice@test.fr"]]
    assert "rien n'a encore été retiré du solde de la CPTS" in mail.outbox[1].body


def test_a_disputed_event_seat_links_the_team_to_the_event_s_registrants(
    world, db, alice, bob, client_as, django_capture_on_commit_callbacks
):
    paid, _client, payment = _card_paid(world, client_as, alice, bob)
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(platform, _seat_succeeded(payment, "evt_seat_paid_for_dispute"))
    mail.outbox.clear()
    opened = _dispute(payment, "evt_seat_dp", "charge.dispute.created", "needs_response", int(time.time()),
                      [_withdrawal(payment, f"dp_{payment.pk}")])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(platform, opened).status_code == 200
    assert [message.to for message in mail.outbox] == [["alice@test.fr"]]
    body = mail.outbox[0].body
    assert f"/evenements/{paid.pk}/inscrits/" in body
    assert f"Inscription : {paid.title}" in body
    assert _fee_lines(payment)[0][0] == "payments.dispute_fee_charged"
