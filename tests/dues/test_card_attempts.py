"""Card attempts that are over or left behind: 3-D Secure abandoned or failed, and the team
recording an offline payment while a card attempt is open. Real localstripe, no webhook needed
where the page itself asks Stripe."""

from __future__ import annotations

import re

import pytest
import requests
import stripe
from django_tenants.utils import schema_context

from apps.dues.models import Dues
from apps.payments.models import Payment
from apps.stripe_gateway import client as stripe_client
from tests.conftest import HOST_A
from tests.dues.conftest import authenticate_3ds, card_token, connect
from tests.dues.test_webhooks import THREE_DS, VISA, _start_payment


def _intent(payment):
    return stripe.PaymentIntent.retrieve(
        payment.stripe_payment_intent_id, **stripe_client.options(payment.stripe_account_id)
    )


def _payments(community, dues_id):
    with schema_context(community.schema_name):
        return list(Payment.objects.filter(dues_id=dues_id).order_by("pk"))


def _confirm_url(page_html):
    return re.search(r'data-confirm-url="([^"]+)"', page_html).group(1)


def test_an_abandoned_3d_secure_attempt_is_cancelled_and_a_new_card_payment_works_at_once(
    community_a, alice, bob, client_as
):
    connect(community_a, alice)
    client, stuck = _start_payment(client_as, community_a, bob, HOST_A)
    assert (
        client.post(
            f"/cotisation/paiement/{stuck.pk}/confirmer/", {"payment_method": card_token(THREE_DS)}
        ).json()["status"]
        == "requires_action"
    )
    # The bank prompt is left unanswered, the page closed. Later: « Régler » again.
    page = client.get(f"/cotisation/{stuck.dues_id}/paiement/")
    assert page.status_code == 200
    response = client.post(_confirm_url(page.text), {"payment_method": card_token(VISA)})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "succeeded"
    stuck_after, fresh = _payments(community_a, stuck.dues_id)
    assert stuck_after.pk == stuck.pk and stuck_after.status == "cancelled"
    assert _intent(stuck)["status"] == "canceled"
    assert _intent(fresh)["status"] == "succeeded"
    # The abandoned prompt can no longer be completed: only one charge, ever.
    with pytest.raises(requests.HTTPError):
        authenticate_3ds(_intent(stuck)["client_secret"], success=True)
    assert _intent(stuck)["status"] == "canceled"


def test_the_old_page_confirming_a_stuck_3d_secure_attempt_is_moved_to_a_fresh_one(
    community_a, alice, bob, client_as
):
    connect(community_a, alice)
    client, stuck = _start_payment(client_as, community_a, bob, HOST_A)
    url = f"/cotisation/paiement/{stuck.pk}/confirmer/"
    assert client.post(url, {"payment_method": card_token(THREE_DS)}).json()["status"] == "requires_action"
    # Same page, the 3-D Secure window closed: the member tries again with another card.
    response = client.post(url, {"payment_method": card_token(VISA)})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "succeeded"
    stuck_after, fresh = _payments(community_a, stuck.dues_id)
    assert data["status_url"] == f"/cotisation/paiement/{fresh.pk}/"
    assert stuck_after.status == "cancelled" and _intent(stuck)["status"] == "canceled"
    assert _intent(fresh)["status"] == "succeeded"


def test_a_failed_3d_secure_is_shown_as_failed_in_french_with_a_retry_link(
    community_a, alice, bob, client_as
):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    result = client.post(
        f"/cotisation/paiement/{payment.pk}/confirmer/", {"payment_method": card_token(THREE_DS)}
    ).json()
    authenticate_3ds(result["client_secret"], success=False)
    # No webhook for a failed authentication: the status page itself asks Stripe.
    page = client.get(f"/cotisation/paiement/{payment.pk}/", HTTP_HX_REQUEST="true")
    assert "en cours de confirmation" not in page.text
    assert "L’authentification 3-D Secure a échoué" in page.text
    assert f'href="/cotisation/{payment.dues_id}/paiement/"' in page.text
    assert 'hx-trigger="every 2s"' not in page.text
    with schema_context(community_a.schema_name):
        payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == ("failed", "payment_intent_authentication_failure")
    # Trying again works at once.
    again = client.get(f"/cotisation/{payment.dues_id}/paiement/")
    response = client.post(_confirm_url(again.text), {"payment_method": card_token(VISA)})
    assert response.json()["status"] == "succeeded"


def test_a_3d_secure_prompt_left_unanswered_says_so_on_the_status_page(community_a, alice, bob, client_as):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    client.post(f"/cotisation/paiement/{payment.pk}/confirmer/", {"payment_method": card_token(THREE_DS)})
    page = client.get(f"/cotisation/paiement/{payment.pk}/")
    assert "en cours de confirmation" not in page.text
    assert "L'authentification 3-D Secure n'a pas été terminée" in page.text
    assert f'href="/cotisation/{payment.dues_id}/paiement/"' in page.text


def test_recording_a_cheque_cancels_the_pending_card_attempt(community_a, alice, bob, client_as):
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    client.post(f"/cotisation/paiement/{payment.pk}/confirmer/", {"payment_method": card_token(THREE_DS)})
    with schema_context(community_a.schema_name):
        dues = Dues.objects.select_related("tier").get(pk=payment.dues_id)
    team = client_as(alice, HOST_A)
    response = team.post(
        f"/equipe/adherents/{dues.membership_id}/",
        {
            "action": "offline",
            "year": dues.year,
            "tier": dues.tier_id,
            "method": "cheque",
            "reference": "n° 77",
        },
    )
    assert response.status_code == 302
    card, cheque = _payments(community_a, dues.pk)
    assert (card.status, cheque.status, cheque.method) == ("cancelled", "succeeded", "cheque")
    assert _intent(payment)["status"] == "canceled"
    with schema_context(community_a.schema_name):
        assert Dues.objects.get(pk=dues.pk).status == "active"
    # The member's open page can no longer pay a second time.
    late = client.post(f"/cotisation/paiement/{payment.pk}/confirmer/", {"payment_method": card_token(VISA)})
    assert late.status_code == 400
    assert [p.status for p in _payments(community_a, dues.pk)].count("succeeded") == 1


def test_recording_a_cheque_for_dues_just_paid_by_card_is_refused_with_the_reason(
    community_a, alice, bob, client_as
):
    """The card was paid but its webhook has not arrived: the team is told, nobody pays twice."""
    connect(community_a, alice)
    client, payment = _start_payment(client_as, community_a, bob, HOST_A)
    assert (
        client.post(
            f"/cotisation/paiement/{payment.pk}/confirmer/", {"payment_method": card_token(VISA)}
        ).json()["status"]
        == "succeeded"
    )
    with schema_context(community_a.schema_name):
        dues = Dues.objects.get(pk=payment.dues_id)
    team = client_as(alice, HOST_A)
    response = team.post(
        f"/equipe/adherents/{dues.membership_id}/",
        {
            "action": "offline",
            "year": dues.year,
            "tier": dues.tier_id,
            "method": "cheque",
            "reference": "n° 78",
        },
        follow=True,
    )
    assert "Cette cotisation est déjà réglée" in response.text
    assert [(p.method, p.status) for p in _payments(community_a, dues.pk)] == [("card", "succeeded")]


def test_a_paid_event_seat_after_an_abandoned_then_failed_3d_secure_is_paid_once(
    world, db, client_as, alice, bob
):
    """Same card flow for event seats: the 3-D Secure prompt left unanswered is cancelled when the
    page is opened again; a failed authentication is said on the seat's status page."""
    from tests.events.test_paid_registration import _open_payment, make_paid_event

    connect(world.a, alice)
    paid = make_paid_event()
    client = client_as(bob, HOST_A)
    stuck = _open_payment(client, paid)
    url = f"/evenements/paiement/{stuck.pk}/confirmer/"
    assert client.post(url, {"payment_method": card_token(THREE_DS)}).json()["status"] == "requires_action"
    page = client.get(f"/evenements/{paid.pk}/paiement/")
    second_url = _confirm_url(page.text)
    assert second_url != url
    challenged = client.post(second_url, {"payment_method": card_token(THREE_DS)}).json()
    authenticate_3ds(challenged["client_secret"], success=False)
    second_id = int(re.search(r"/paiement/(\d+)/", second_url).group(1))
    status_page = client.get(f"/evenements/paiement/{second_id}/")
    assert "L’authentification 3-D Secure a échoué" in status_page.text
    assert f'href="/evenements/{paid.pk}/paiement/"' in status_page.text
    third = client.get(f"/evenements/{paid.pk}/paiement/")
    assert client.post(_confirm_url(third.text), {"payment_method": card_token(VISA)}).json()["status"] == (
        "succeeded"
    )
    with schema_context("alpha"):
        attempts = list(Payment.objects.filter(registration__event=paid).order_by("pk"))
    assert [p.status for p in attempts] == ["cancelled", "failed", "pending"]
    assert [_intent(p)["status"] for p in attempts] == ["canceled", "canceled", "succeeded"]
