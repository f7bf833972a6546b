"""Paid events through the dues payment path: held seats, card payment against localstripe,
signed webhooks, receipts, expiry of unpaid holds, refunds, isolation between CPTS.

Tasks run eagerly here (the real-worker version is test_paid_end_to_end.py). Webhook events are
signed with the webhook secret like localstripe/Stripe do; the handler re-reads each
PaymentIntent from localstripe, so the event's own copy never decides anything.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events import services
from apps.events.models import Event, Registration
from apps.payments.models import Payment, Receipt
from apps.stripe_gateway import client as stripe_client
from apps.stripe_gateway.models import ConnectedAccount, WebhookEvent
from tenants.models import Community
from tests.conftest import HOST_A, HOST_B, PLATFORM_HOST
from tests.dues.conftest import authenticate_3ds, card_token, connect, event, post_event

VISA = "4242424242424242"
DECLINED = "4000000000000341"
THREE_DS = "4000002500003155"


def make_paid_event(schema: str = "alpha", **overrides) -> Event:
    start = timezone.now() + timedelta(days=5)
    fields = {
        "title": "Formation gestes d'urgence",
        "starts_at": start,
        "ends_at": start + timedelta(hours=3),
        "visibility": Event.Visibility.MEMBERS,
        "capacity": 2,
        "price": Decimal("15.00"),
    }
    fields.update(overrides)
    with schema_context(schema):
        return Event.objects.create(**fields)


def _registration(schema, event_, user) -> Registration:
    with schema_context(schema):
        return Registration.objects.get(event=event_, user=user)


def _open_payment(client, event_, schema="alpha") -> Payment:
    """Register from the event page, follow to the payment page; the open card attempt."""
    registered = client.post(f"/evenements/{event_.pk}/inscription/")
    assert registered.status_code == 302 and registered["Location"] == f"/evenements/{event_.pk}/paiement/"
    page = client.get(registered["Location"])
    assert page.status_code == 200 and 'id="card-payment"' in page.text, page.text
    with schema_context(schema):
        payment = Payment.objects.get(registration__event=event_, status="pending")
    assert f'data-confirm-url="/evenements/paiement/{payment.pk}/confirmer/"' in page.text
    assert "Payer 15,00 €" in page.text
    return payment


def _confirm(client, payment, number):
    return client.post(
        f"/evenements/paiement/{payment.pk}/confirmer/", {"payment_method": card_token(number)}
    ).json()


def _card_paid(world, client_as, alice, bob, **event_fields):
    """A paid event of A; Bob registers and his card goes through (its webhook not handled yet)."""
    connect(world.a, alice)
    paid = make_paid_event(**event_fields)
    client = client_as(bob, HOST_A)
    payment = _open_payment(client, paid)
    assert _confirm(client, payment, VISA)["status"] == "succeeded"
    return paid, client, payment


def _succeeded(payment, event_id, account=None):
    return event(
        event_id,
        "payment_intent.succeeded",
        {"id": payment.stripe_payment_intent_id, "object": "payment_intent"},
        account,
    )


def _state(schema, payment):
    with schema_context(schema):
        payment.refresh_from_db()
        registration = Registration.objects.get(pk=payment.registration_id)
        numbers = sorted(Receipt.objects.filter(payment=payment).values_list("number", flat=True))
    return payment.status, registration.status, numbers


def _event_form(**overrides) -> dict:
    data = {
        "title": "Soirée œnologie et santé",
        "kind": "evening",
        "starts_at": "2030-09-10T19:00",
        "ends_at": "2030-09-10T22:00",
        "visibility": "public",
        "status": "published",
        "capacity": "40",
        "price": "12.50",
        "registration_open": "on",
        "reminder_hours_before": "24",
    }
    data.update(overrides)
    return data


def test_a_paid_event_needs_a_positive_price_and_the_cpts_stripe_account(world, db, client_as, alice):
    client = client_as(alice, HOST_A)
    negative = client.post("/evenements/nouveau/", _event_form(price="-5"))
    assert negative.status_code == 200 and "Le tarif doit être positif ou nul." in negative.text
    unconnected = client.post("/evenements/nouveau/", _event_form())
    assert unconnected.status_code == 200
    assert "Un événement payant demande que le compte Stripe de la CPTS soit connecté" in unconnected.text
    with schema_context("alpha"):
        assert not Event.objects.filter(title="Soirée œnologie et santé").exists()
    free = client.post("/evenements/nouveau/", _event_form(price="0", title="Soirée gratuite"))
    assert free.status_code == 302
    connect(world.a, alice)
    paid = client.post("/evenements/nouveau/", _event_form())
    assert paid.status_code == 302
    with schema_context("alpha"):
        created = Event.objects.get(title="Soirée œnologie et santé")
    assert created.price == Decimal("12.50") and created.is_paid
    page = client.get(f"/evenements/{created.pk}/").text
    assert "12,50 € TTC" in page and "Je m'inscris et je paie 12,50 €" in page
    assert "12,50 €" in client.get("/evenements/").text


def test_the_price_cannot_change_once_seats_are_taken(world, db, client_as, alice, bob):
    connect(world.a, alice)
    paid = make_paid_event()
    with schema_context("alpha"):
        services.register(actor=bob, event=paid)
    response = client_as(alice, HOST_A).post(
        f"/evenements/{paid.pk}/modifier/",
        _event_form(title=paid.title, visibility="members", capacity="2", price="20"),
    )
    assert response.status_code == 200 and "Le tarif ne peut plus être modifié" in response.text
    with schema_context("alpha"):
        paid.refresh_from_db()
    assert paid.price == Decimal("15.00")


def test_a_paid_registration_holds_a_seat_and_only_the_signed_webhook_confirms_it(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    connect(world.a, alice)
    paid = make_paid_event(capacity=1)
    client = client_as(bob, HOST_A)
    payment = _open_payment(client, paid)
    registration = _registration("alpha", paid, bob)
    assert registration.status == "pending" and registration.hold_expires_at > timezone.now()
    # The held seat counts: the event is full for the next person.
    with schema_context("alpha"):
        assert services.register(actor=alice, event=paid).status == "waitlisted"
    assert payment.stripe_payment_intent_id.startswith("pi_") and payment.amount == Decimal("15.00")
    intent = stripe.PaymentIntent.retrieve(payment.stripe_payment_intent_id, **stripe_client.options())
    assert intent.amount == 1500 and intent.metadata["registration"] == str(registration.pk)
    result = _confirm(client, payment, VISA)
    assert result["status"] == "succeeded" and result["status_url"] == f"/evenements/paiement/{payment.pk}/"
    # The browser is back, the money is taken, but nothing is confirmed before the webhook.
    assert _state("alpha", payment) == ("pending", "pending", [])
    mail.outbox.clear()
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(platform, _succeeded(payment, "evt_paid_event_ok")).status_code == 200
    status, registration_status, numbers = _state("alpha", payment)
    assert (status, registration_status, len(numbers)) == ("succeeded", "confirmed", 1)
    with schema_context("alpha"):
        receipt = Receipt.objects.get(payment=payment)
    # Same gapless numbering as dues receipts; content says what was paid.
    assert receipt.number == f"{receipt.year}-{receipt.sequence:06d}"
    assert receipt.content["object"] == "Inscription : Formation gestes d'urgence"
    assert receipt.content["amount"] == "15.00"
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith(
        f"Reçu de paiement n° {receipt.number}"
    )
    assert mail.outbox[0].attachments[0][2] == "application/pdf"
    # A duplicate delivery, and another event type naming the same PaymentIntent: no-ops.
    with django_capture_on_commit_callbacks(execute=True) as again:
        assert post_event(platform, _succeeded(payment, "evt_paid_event_ok")).status_code == 200
    assert len(again) == 0
    with django_capture_on_commit_callbacks(execute=True):
        post_event(
            platform,
            event(
                "evt_paid_charge", "charge.succeeded", {"payment_intent": payment.stripe_payment_intent_id}
            ),
        )
    assert len(_state("alpha", payment)[2]) == 1 and len(mail.outbox) == 1
    assert WebhookEvent.objects.get(event_id="evt_paid_event_ok").community_id == world.a.pk
    status_page = client.get(f"/evenements/paiement/{payment.pk}/")
    assert "votre inscription à « Formation gestes d&#x27;urgence » est confirmée" in status_page.text
    assert "Vous êtes inscrit(e) : votre place est confirmée." in client.get(f"/evenements/{paid.pk}/").text
    space = client.get("/mon-espace/").text
    assert "Mes inscriptions payantes" in space and f"Reçu n° {receipt.number} (PDF)" in space
    pdf = client.get(f"/recus/{receipt.pk}/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_a_declined_card_keeps_the_seat_held_and_the_member_retries(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    connect(world.a, alice)
    paid = make_paid_event()
    client = client_as(bob, HOST_A)
    first = _open_payment(client, paid)
    declined = _confirm(client, first, DECLINED)
    assert declined["status"] == "declined"
    assert (
        declined["error"] == "Votre carte a été refusée. Essayez une autre carte ou contactez votre banque."
    )
    assert declined["confirm_url"] == f"/evenements/paiement/{declined['retry_payment']}/confirmer/"
    assert _state("alpha", first)[:2] == ("failed", "pending")
    with schema_context("alpha"):
        retry = Payment.objects.get(pk=declined["retry_payment"])
    assert (
        client.post(declined["confirm_url"], {"payment_method": card_token(VISA)}).json()["status"]
        == "succeeded"
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(retry, "evt_paid_retry"))
        post_event(
            Client(HTTP_HOST=PLATFORM_HOST),
            event(
                "evt_paid_failed_late",
                "payment_intent.payment_failed",
                {"id": first.stripe_payment_intent_id},
            ),
        )
    assert _state("alpha", retry)[:2] == ("succeeded", "confirmed")
    assert _state("alpha", first) == ("failed", "confirmed", [])


def test_an_expired_hold_releases_the_seat_promotes_the_waiting_list_and_cancels_the_open_intent(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    from workers.events import expire_holds_task

    connect(world.a, alice)
    paid = make_paid_event(capacity=1)
    client = client_as(bob, HOST_A)
    payment = _open_payment(client, paid)
    with schema_context("alpha"):
        waiting = services.register(actor=alice, event=paid)
        Registration.objects.filter(event=paid, user=bob).update(
            hold_expires_at=timezone.now() - timedelta(seconds=1)
        )
    assert waiting.status == "waitlisted"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = expire_holds_task.apply(args=("alpha",)).get()
    with django_capture_on_commit_callbacks(execute=True):
        second = expire_holds_task.apply(args=("alpha",)).get()
    assert (first, second) == (1, 0)
    assert _state("alpha", payment) == ("cancelled", "expired", [])
    intent = stripe.PaymentIntent.retrieve(payment.stripe_payment_intent_id, **stripe_client.options())
    assert intent.status == "canceled"
    promoted = _registration("alpha", paid, alice)
    assert promoted.status == "pending" and promoted.hold_expires_at > timezone.now() + timedelta(hours=23)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 2 and set(by_recipient) == {"alice@test.fr", "bob@test.fr"}
    promotion, expiry = by_recipient["alice@test.fr"], by_recipient["bob@test.fr"]
    assert "Une place s'est libérée" in promotion.subject
    assert f"http://alpha.localhost/evenements/{paid.pk}/paiement/" in promotion.body
    assert "réglez 15,00 € par carte" in promotion.body
    assert expiry.subject.startswith("Place non réglée, réservation expirée")
    assert "Aucun montant ne vous a été prélevé" in expiry.body
    # Bob's page says the hold is over; the old attempt cannot be confirmed any more.
    assert "Votre réservation a expiré faute de paiement" in client.get(f"/evenements/{paid.pk}/").text
    assert client.get(f"/evenements/{paid.pk}/paiement/").status_code == 302
    # Bob registers again: the seat is Alice's now, he waits.
    with schema_context("alpha"):
        assert services.register(actor=bob, event=paid).status == "waitlisted"


def test_an_unpaid_hold_is_also_released_lazily_by_the_next_registration(world, db, alice, bob, charlie):
    connect(world.a, alice)
    paid = make_paid_event(capacity=1, visibility=Event.Visibility.PUBLIC)
    with schema_context("alpha"):
        held = services.register(actor=bob, event=paid)
        Registration.objects.filter(pk=held.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
        # charlie (an account, no membership in A) may register to a public event, as before.
        newcomer = services.register(actor=charlie, event=paid)
        held.refresh_from_db()
    assert (held.status, newcomer.status) == ("expired", "pending")


def test_a_payment_made_in_time_keeps_its_seat_when_the_sweep_runs_before_its_webhook(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """Bob pays within his hold; its webhook is late (or lost) when the hold runs out. The sweep
    asks Stripe before releasing a hold with an open attempt: Bob keeps his seat, Alice waits."""
    from workers.events import expire_holds_task

    paid, client, payment = _card_paid(
        world, client_as, alice, bob, capacity=1
    )  # the webhook is not handled yet
    with schema_context("alpha"):
        assert services.register(actor=alice, event=paid).status == "waitlisted"
        Registration.objects.filter(event=paid, user=bob).update(
            hold_expires_at=timezone.now() - timedelta(seconds=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_holds_task.apply(args=("alpha",)).get() == 0
    status, registration_status, numbers = _state("alpha", payment)
    assert (status, registration_status, len(numbers)) == ("succeeded", "confirmed", 1)
    assert _registration("alpha", paid, alice).status == "waitlisted"


def test_the_sweep_keeps_a_hold_whose_attempt_it_cannot_check_on_stripe(
    world, db, client_as, alice, bob, settings, django_capture_on_commit_callbacks
):
    """Stripe cannot be reached when Bob's hold runs out (his card went through, the webhook is
    late): the sweep cannot tell whether he paid, so it keeps his seat until it can."""
    from workers.events import expire_holds_task

    paid, client, payment = _card_paid(
        world, client_as, alice, bob, capacity=1
    )  # the webhook is not handled yet
    with schema_context("alpha"):
        assert services.register(actor=alice, event=paid).status == "waitlisted"
        Registration.objects.filter(event=paid, user=bob).update(
            hold_expires_at=timezone.now() - timedelta(seconds=1)
        )
    secret = settings.STRIPE_SECRET_KEY
    settings.STRIPE_SECRET_KEY = ""  # Stripe out of reach
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_holds_task.apply(args=("alpha",)).get() == 0
    assert _state("alpha", payment)[:2] == ("pending", "pending")
    assert _registration("alpha", paid, alice).status == "waitlisted"
    settings.STRIPE_SECRET_KEY = secret  # back: the next sweep finds the payment
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_holds_task.apply(args=("alpha",)).get() == 0
    assert _state("alpha", payment)[:2] == ("succeeded", "confirmed")


def test_a_hold_running_out_during_3d_secure_gets_a_few_minutes_more(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """Bob's hold runs out while his bank asks him for 3-D Secure: the sweep does not pull the
    seat (and cancel the PaymentIntent) from under him; he completes it and the seat is his.
    The grace is short: an attempt left at that step is released after it."""
    from apps.events.services import IN_FLIGHT_GRACE
    from workers.events import expire_holds_task

    connect(world.a, alice)
    paid = make_paid_event(capacity=1)
    client = client_as(bob, HOST_A)
    payment = _open_payment(client, paid)
    challenged = _confirm(client, payment, THREE_DS)
    assert challenged["status"] == "requires_action"
    with schema_context("alpha"):
        assert services.register(actor=alice, event=paid).status == "waitlisted"
        Registration.objects.filter(event=paid, user=bob).update(
            hold_expires_at=timezone.now() - timedelta(seconds=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_holds_task.apply(args=("alpha",)).get() == 0
    assert authenticate_3ds(challenged["client_secret"], success=True)["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_3ds_late"))
    assert _state("alpha", payment)[:2] == ("succeeded", "confirmed")
    # Someone who leaves the bank's page open: released once the grace is over.
    with schema_context("alpha"):
        carol = get_user_model().objects.create_user(f"carol-{uuid.uuid4().hex[:6]}@test.fr", "x" * 12)
        other = make_paid_event(capacity=1, visibility=Event.Visibility.PUBLIC, title="Soirée 3DS")
        services.register(actor=carol, event=other)
    carol_client = client_as(carol, HOST_A)
    carol_payment = _open_payment(carol_client, other)
    assert _confirm(carol_client, carol_payment, THREE_DS)["status"] == "requires_action"
    with schema_context("alpha"):
        Registration.objects.filter(event=other, user=carol).update(
            hold_expires_at=timezone.now() - IN_FLIGHT_GRACE - timedelta(seconds=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_holds_task.apply(args=("alpha",)).get() == 1
    assert _state("alpha", carol_payment)[:2] == ("cancelled", "expired")


def test_a_hold_with_an_open_attempt_is_not_given_away_by_the_next_registration(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """Bob pays within his hold; its webhook is late when the hold runs out and Alice registers.
    Releasing on the spot (without asking Stripe) would give his paid seat to her and refund him:
    a hold with an open card attempt is left to the sweep, which asks Stripe first."""
    paid, client, payment = _card_paid(
        world, client_as, alice, bob, capacity=1
    )  # the webhook is not handled yet
    with schema_context("alpha"):
        Registration.objects.filter(event=paid, user=bob).update(
            hold_expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert services.register(actor=alice, event=paid).status == "waitlisted"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_webhook_late"))
    status, registration_status, numbers = _state("alpha", payment)
    assert (status, registration_status, len(numbers)) == ("succeeded", "confirmed", 1)
    assert _registration("alpha", paid, alice).status == "waitlisted"


def test_a_payment_arriving_after_the_seat_went_to_someone_else_is_refunded(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    paid, client, payment = _card_paid(
        world, client_as, alice, bob, capacity=1
    )  # the webhook is not handled yet
    with schema_context("alpha"):
        # The sweep found Bob's attempt unpaid and released his seat, and his card went through
        # in that very instant (a race this test sets up directly); Alice registers: the seat is hers.
        Registration.objects.filter(event=paid, user=bob).update(
            status=Registration.Status.EXPIRED, hold_expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert services.register(actor=alice, event=paid).status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_too_late"))
    # The payment has no seat left → refunded.
    status, registration_status, numbers = _state("alpha", payment)
    assert (status, registration_status) == ("refunded", "expired")
    assert len(numbers) == 2 and numbers[0].startswith("20") and numbers[1].startswith("AV-")
    intent = stripe.PaymentIntent.retrieve(
        payment.stripe_payment_intent_id, expand=["latest_charge"], **stripe_client.options()
    )
    assert intent.to_dict()["latest_charge"]["refunded"] is True
    assert _registration("alpha", paid, alice).status == "pending"


def test_cancelling_a_paid_registration_refunds_it_and_the_next_person_gets_a_held_seat(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    paid, client, payment = _card_paid(
        world, client_as, alice, bob, capacity=1
    )  # the webhook is not handled yet
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_before_cancel"))
    with schema_context("alpha"):
        services.register(actor=alice, event=paid)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/evenements/{paid.pk}/desinscription/", follow=True)
    assert "vous allez être remboursé(e)" in response.text
    intent = stripe.PaymentIntent.retrieve(
        payment.stripe_payment_intent_id, expand=["latest_charge"], **stripe_client.options()
    )
    assert intent.to_dict()["latest_charge"]["refunded"] is True
    status, registration_status, numbers = _state("alpha", payment)
    assert (status, registration_status) == ("refunded", "cancelled")
    assert [n[:3] for n in numbers] == [numbers[0][:3], "AV-"]
    assert _registration("alpha", paid, alice).status == "pending"
    subjects = sorted(m.subject for m in mail.outbox)
    assert any(s.startswith("Avoir n° AV-") for s in subjects)
    assert any(s.startswith("Une place s'est libérée") for s in subjects)


def test_cancelling_a_paid_event_refunds_every_paid_registration(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    paid, client, payment = _card_paid(world, client_as, alice, bob)  # the webhook is not handled yet
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_event_cancelled"))
    with schema_context("alpha"):
        held = services.register(actor=alice, event=paid)
    assert held.status == "pending"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with schema_context("alpha"):
            services.update_event(actor=alice, event=paid, data={"status": Event.Status.CANCELLED})
    assert _state("alpha", payment)[0] == "refunded"
    notices = {m.to[0]: m.body for m in mail.outbox if m.subject.startswith("Événement annulé")}
    assert set(notices) == {"bob@test.fr", "alice@test.fr"}  # the held seat is told too
    assert "Votre paiement vous est remboursé" in notices["bob@test.fr"]
    assert "remboursé" not in notices["alice@test.fr"]
    with django_capture_on_commit_callbacks(execute=True):
        with schema_context("alpha"):
            from workers.events import refund_cancelled_event_task

            assert refund_cancelled_event_task.apply(args=("alpha", paid.pk)).get() == 0  # runs twice, once


def test_the_team_sees_payment_status_in_the_list_and_the_export(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    paid, client, payment = _card_paid(world, client_as, alice, bob)  # the webhook is not handled yet
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_export"))
    with schema_context("alpha"):
        services.register(actor=alice, event=paid)
    team = client_as(alice, HOST_A)
    page = team.get(f"/evenements/{paid.pk}/inscrits/").text
    assert "Payé 15,00 €" in page and "En attente de paiement (1)" in page
    lines = team.get(f"/evenements/{paid.pk}/inscrits.csv").content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Nom;Prénom;E-mail;Statut;Inscrit le;Présent;Paiement"
    rows = {line.split(";")[2]: line.split(";") for line in lines[1:]}
    assert rows["bob@test.fr"][3] == "Confirmée" and rows["bob@test.fr"][6] == "Payé 15,00 €"
    assert rows["alice@test.fr"][3] == "En attente de paiement"


def test_the_api_shows_the_price_read_only_and_registers_with_a_held_seat(world, db, client_as, alice, bob):
    connect(world.a, alice)
    paid = make_paid_event()
    api = client_as(alice, HOST_A)
    assert api.get(f"/api/v1/events/{paid.pk}/").json()["price"] == "15.00"
    changed = api.patch(f"/api/v1/events/{paid.pk}/", {"price": "0.00"}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["price"] == "15.00"
    with schema_context("alpha"):
        paid.refresh_from_db()
    assert paid.price == Decimal("15.00")
    held = client_as(bob, HOST_A).post(f"/api/v1/events/{paid.pk}/register/").json()
    assert held["status"] == "pending" and held["hold_expires_at"]
    assert client_as(bob, HOST_A).post(f"/api/v1/events/{paid.pk}/cancel/").json()["status"] == "cancelled"


def test_charlie_gets_404_on_a_paid_members_only_event_of_a_and_changes_nothing(
    world, db, client_as, alice, bob, charlie
):
    connect(world.a, alice)
    paid = make_paid_event()
    payment = _open_payment(client_as(bob, HOST_A), paid)
    for client in (client_as(charlie, HOST_A), client_as(charlie, HOST_B)):
        assert client.get(f"/evenements/{paid.pk}/paiement/").status_code == 404
        assert client.post(f"/evenements/{paid.pk}/inscription/").status_code == 404
        assert client.get(f"/evenements/paiement/{payment.pk}/").status_code == 404
        confirm = client.post(
            f"/evenements/paiement/{payment.pk}/confirmer/", {"payment_method": "card_forged"}
        )
        assert confirm.status_code == 404
    # bob's own page on B's host does not open A's payment either.
    assert client_as(bob, HOST_B).get(f"/evenements/paiement/{payment.pk}/").status_code == 404
    assert _state("alpha", payment) == ("pending", "pending", [])
    with schema_context("alpha"):
        assert Registration.objects.filter(event=paid).count() == 1
        assert Payment.objects.filter(registration__event=paid).count() == 1


def test_an_event_of_b_does_not_touch_a_pending_paid_registration_of_a(
    world, db, client_as, alice, bob, charlie, django_capture_on_commit_callbacks
):
    account_a = connect(world.a, alice)
    account_b = connect(world.b, charlie)
    paid_a = make_paid_event()
    paid_b = make_paid_event("beta", title="Soirée Bêta")
    client_a = client_as(bob, HOST_A)
    pending_a = _open_payment(client_a, paid_a)
    client_b = client_as(charlie, HOST_B)
    payment_b = _open_payment(client_b, paid_b, schema="beta")
    assert _confirm(client_b, payment_b, VISA)["status"] == "succeeded"
    assert _confirm(client_a, pending_a, VISA)["status"] == "succeeded"  # its event has not arrived
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(platform, _succeeded(payment_b, "evt_paid_b_ok", account_b))
        post_event(platform, _succeeded(pending_a, "evt_paid_b_on_a", account_b))
    assert _state("beta", payment_b)[:2] == ("succeeded", "confirmed")
    assert _state("alpha", pending_a) == ("pending", "pending", [])
    outcomes = dict(
        WebhookEvent.objects.filter(event_id__startswith="evt_paid_b").values_list("event_id", "outcome")
    )
    assert outcomes == {"evt_paid_b_ok": "routed", "evt_paid_b_on_a": "mismatch"}
    assert account_a != account_b


def test_concurrent_paid_registrations_never_overbook(world, django_db_blocker):
    """Eight people click at once for three paid seats: three held, five waiting."""
    users_model = get_user_model()
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)
            tag = uuid.uuid4().hex[:8]
            people = [users_model.objects.create_user(f"payant{i}-{tag}@test.fr", "x" * 12) for i in range(8)]
            paid = make_paid_event(capacity=3, visibility=Event.Visibility.PUBLIC)
            barrier = threading.Barrier(len(people))
            errors: list[BaseException] = []

            def register(person):
                try:
                    with schema_context("alpha"):
                        barrier.wait(timeout=20)
                        services.register(actor=person, event=paid)
                except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                    errors.append(exc)
                finally:
                    connection.close()

            threads = [threading.Thread(target=register, args=(p,)) for p in people]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            with schema_context("alpha"):
                statuses = sorted(Registration.objects.filter(event=paid).values_list("status", flat=True))
        finally:
            with schema_context("alpha"):
                Event.objects.filter(title="Formation gestes d'urgence", capacity=3).delete()
            connection.set_schema_to_public()
            ConnectedAccount.objects.filter(community=world.a).delete()
            Community.objects.filter(pk=world.a.pk).update(stripe_account_id="")
            world.a.stripe_account_id = ""
    assert errors == []
    assert statuses.count("pending") == 3 and statuses.count("waitlisted") == 5


def test_reconciliation_confirms_a_paid_registration_whose_webhook_was_lost(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    from workers.payments import reconcile_payments_task

    paid, client, payment = _card_paid(world, client_as, alice, bob)  # the webhook is not handled yet
    with django_capture_on_commit_callbacks(execute=True):
        first = reconcile_payments_task.apply(args=("alpha", 0)).get()
    with django_capture_on_commit_callbacks(execute=True):
        second = reconcile_payments_task.apply(args=("alpha", 0)).get()
    assert first == {"succeeded": 1} and second == {}
    status, registration_status, numbers = _state("alpha", payment)
    assert (status, registration_status, len(numbers)) == ("succeeded", "confirmed", 1)


def test_the_team_cancels_and_refunds_a_paid_registration_bob_gets_403_charlie_404(
    world, db, client_as, alice, bob, charlie, django_capture_on_commit_callbacks
):
    paid, client, payment = _card_paid(world, client_as, alice, bob)  # the webhook is not handled yet
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_team_cancel"))
    url = f"/evenements/{paid.pk}/inscrits/{payment.registration_id}/annuler/"
    assert client.post(url).status_code == 403
    assert client_as(charlie, HOST_A).post(url).status_code == 404
    assert _state("alpha", payment)[:2] == ("succeeded", "confirmed")
    team = client_as(alice, HOST_A)
    assert "Annuler et rembourser" in team.get(f"/evenements/{paid.pk}/inscrits/").text
    with django_capture_on_commit_callbacks(execute=True):
        response = team.post(url, follow=True)
    assert "Inscription de Bob Membre annulée et remboursée" in response.text
    status, registration_status, numbers = _state("alpha", payment)
    assert (status, registration_status) == ("refunded", "cancelled") and numbers[-1].startswith("AV-")


def test_a_payment_intent_for_another_amount_or_currency_never_confirms_the_seat(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """Stripe is re-read, and what it says was paid must be what the seat costs: a PaymentIntent
    changed outside our flow (1 € instead of 15 €) confirms nothing and is refunded."""
    connect(world.a, alice)
    paid = make_paid_event()
    client = client_as(bob, HOST_A)
    payment = _open_payment(client, paid)
    stripe.PaymentIntent.modify(payment.stripe_payment_intent_id, amount=100, **stripe_client.options())
    assert _confirm(client, payment, VISA)["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_wrong_amount"))
    status, registration_status, numbers = _state("alpha", payment)
    assert registration_status == "pending"
    assert status == "refunded" and len(numbers) == 2 and numbers[1].startswith("AV-")
    status_page = client.get(f"/evenements/paiement/{payment.pk}/").text
    assert "Le montant payé ne correspond pas au tarif de l'événement : il vous est remboursé" in status_page


def test_a_payment_at_a_former_price_never_confirms_the_seat(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """Bob's hold lapses with his 15 € PaymentIntent still open; the team then sets the price to
    20 €; Bob registers again (a new 20 € attempt) but pays the old 15 € one: no seat for 15 €."""
    connect(world.a, alice)
    paid = make_paid_event(visibility=Event.Visibility.PUBLIC)
    client = client_as(bob, HOST_A)
    old = _open_payment(client, paid)
    with schema_context("alpha"):
        # Released by the sweep, which could not reach Stripe to cancel the open attempt.
        Registration.objects.filter(event=paid, user=bob).update(
            status=Registration.Status.EXPIRED, hold_expires_at=timezone.now() - timedelta(minutes=1)
        )
        services.update_event(actor=alice, event=paid, data={"price": Decimal("20.00")})
        again = services.register(actor=bob, event=paid)
    assert again.status == "pending"
    confirmed = _confirm(client, old, VISA)
    with django_capture_on_commit_callbacks(execute=True):
        if confirmed["status"] == "succeeded":
            post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(old, "evt_paid_former_price"))
    status, registration_status, _numbers = _state("alpha", old)
    assert registration_status == "pending"
    assert status in ("pending", "cancelled", "refunded")


def test_a_cancelled_paid_event_whose_seats_were_refunded_cannot_be_published_again(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """Cancelling refunds the paid seats; publishing the event again would leave Bob « confirmed »
    on a seat nobody paid for. The team is told, in French, to create a new event instead."""
    paid, client, payment = _card_paid(world, client_as, alice, bob)  # the webhook is not handled yet
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_republished"))
        with schema_context("alpha"):
            services.update_event(actor=alice, event=paid, data={"status": Event.Status.CANCELLED})
    assert _state("alpha", payment)[0] == "refunded"
    response = client_as(alice, HOST_A).post(
        f"/evenements/{paid.pk}/modifier/",
        _event_form(title=paid.title, visibility="members", capacity="2", price="15", status="published"),
    )
    assert response.status_code == 200
    assert "Cet événement payant a été annulé et ses inscriptions remboursées" in response.text
    with schema_context("alpha"):
        paid.refresh_from_db()
    assert paid.status == Event.Status.CANCELLED


def test_a_refund_made_in_the_stripe_dashboard_releases_the_seat_to_the_waiting_list(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """The treasurer refunds Bob from the CPTS's Stripe dashboard (he phoned to say he cannot
    come): ``charge.refunded`` arrives. A seat nobody has paid for is not kept: Bob's is released
    and Alice, waiting, gets it (held for payment); the credit note is issued."""
    paid, client, payment = _card_paid(
        world, client_as, alice, bob, capacity=1
    )  # the webhook is not handled yet
    platform = Client(HTTP_HOST=PLATFORM_HOST)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(platform, _succeeded(payment, "evt_paid_dashboard_ok"))
    with schema_context("alpha"):
        assert services.register(actor=alice, event=paid).status == "waitlisted"
    stripe.Refund.create(payment_intent=payment.stripe_payment_intent_id, **stripe_client.options())
    with django_capture_on_commit_callbacks(execute=True):
        post_event(
            platform,
            event(
                "evt_paid_dashboard_refund",
                "charge.refunded",
                {"object": "charge", "id": "ch_x", "payment_intent": payment.stripe_payment_intent_id},
            ),
        )
    status, registration_status, numbers = _state("alpha", payment)
    assert (status, registration_status) == ("refunded", "cancelled")
    assert len(numbers) == 2 and numbers[1].startswith("AV-")
    assert _registration("alpha", paid, alice).status == "pending"


def test_a_payment_succeeding_while_its_registration_is_cancelled_is_refunded(world, django_db_blocker):
    """Bob cancels in one tab while paying in another. The cancellation settles his payments with
    Stripe first (none paid yet), then waits for the event's lock, held by the webhook's
    confirmation of the attempt he has just paid. When it gets the lock the seat is paid: the
    registration is cancelled all the same, and that payment must be refunded, not kept."""
    from django.db import transaction

    from apps.payments import card
    from apps.payments.models import Payment
    from apps.stripe_gateway.models import StripeRoute

    title = f"Course {uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        try:
            connect(world.a, world.alice)
            paid = make_paid_event(title=title)
            with schema_context("alpha"):
                registration = services.register(actor=world.bob, event=paid)
            errors: list[BaseException] = []

            def cancel():
                try:
                    with schema_context("alpha"):
                        services.cancel_registration(actor=world.bob, registration=registration)
                except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                    errors.append(exc)
                finally:
                    connection.close()

            with schema_context("alpha"), transaction.atomic():
                services.lock_event(paid.pk)  # the webhook's confirmation holds the event
                canceller = threading.Thread(target=cancel)
                canceller.start()
                with connection.cursor() as cursor:
                    for _attempt in range(200):  # until the cancellation waits for the lock
                        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh view in this transaction
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database() AND pid <> pg_backend_pid()"
                        )
                        if cursor.fetchone()[0]:
                            break
                        threading.Event().wait(0.05)
                    else:
                        raise AssertionError("the cancellation never waited for the event's lock")
                # The other tab: the payment page opens an attempt, the card goes through, and
                # the webhook's task confirms it (the event row is locked by this transaction).
                first = card.start_card_payment(actor=world.bob, registration=registration)
                paid_now = card.confirm_card_payment(
                    actor=world.bob, payment=first, payment_method_id=card_token(VISA)
                )
                assert paid_now["status"] == "succeeded"
                assert card.sync_payment(first.pk) == "succeeded"
            canceller.join(30)
            status, registration_status, _numbers = _state("alpha", first)
        finally:
            with schema_context("alpha"):
                receipts = Receipt.objects.filter(payment__registration__event__title=title)
                receipts.filter(kind=Receipt.Kind.CREDIT_NOTE).delete()
                receipts.delete()
                intents = list(
                    Payment.objects.filter(registration__event__title=title).values_list(
                        "stripe_payment_intent_id", flat=True
                    )
                )
                Payment.objects.filter(registration__event__title=title).delete()
                Event.objects.filter(title=title).delete()
            connection.set_schema_to_public()
            StripeRoute.objects.filter(stripe_id__in=intents).delete()
            ConnectedAccount.objects.filter(community=world.a).delete()
            Community.objects.filter(pk=world.a.pk).update(stripe_account_id="")
            world.a.stripe_account_id = ""
    assert errors == []
    assert (status, registration_status) == ("refunded", "cancelled")


def test_a_seat_refunded_in_the_dashboard_is_not_refunded_twice_when_cancelled(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """The treasurer refunded Bob from the Stripe dashboard and that webhook was lost (the sweep only
    re-reads pending payments). Bob then cancels: no second refund (real Stripe would refuse it,
    « charge_already_refunded », and Bob could never cancel); our books catch up instead."""
    paid, client, payment = _card_paid(world, client_as, alice, bob)  # the webhook is not handled yet
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_before_dashboard"))
    options = stripe_client.options()
    stripe.Refund.create(payment_intent=payment.stripe_payment_intent_id, **options)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/evenements/{paid.pk}/desinscription/", follow=True)
    assert "Votre inscription est annulée" in response.text
    status, registration_status, numbers = _state("alpha", payment)
    assert (status, registration_status) == ("refunded", "cancelled")
    assert len(numbers) == 2
    refunds = stripe.Refund.list(payment_intent=payment.stripe_payment_intent_id, **options)
    assert len(refunds.data) == 1


def test_one_refund_stripe_refuses_does_not_stop_the_others_of_a_cancelled_event(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """Cancelling a paid event refunds every paid seat: Stripe refusing one of them (here, a
    PaymentIntent it does not know) must not leave the others unrefunded."""
    paid, _client, bobs = _card_paid(world, client_as, alice, bob)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(bobs, "evt_paid_bob_refusal"))
    alice_client = client_as(alice, HOST_A)
    alices = _open_payment(alice_client, paid)
    assert _confirm(alice_client, alices, VISA)["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(alices, "evt_paid_alice_refusal"))
    assert bobs.pk < alices.pk
    with schema_context("alpha"):
        Payment.objects.filter(pk=bobs.pk).update(stripe_payment_intent_id="pi_unknown_to_stripe")
    with django_capture_on_commit_callbacks(execute=True):
        with schema_context("alpha"):
            services.update_event(actor=alice, event=paid, data={"status": Event.Status.CANCELLED})
    assert _state("alpha", alices)[0] == "refunded"
    assert _state("alpha", bobs)[0] == "succeeded"  # left for the team, logged as an error


def test_a_receipt_whose_task_was_lost_is_issued_by_the_reconciliation(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    """The seat is confirmed but the receipt's task never ran (broker down at commit, worker
    killed): the periodic reconciliation issues the missing receipt, once."""
    from workers.payments import reconcile_payments_task

    paid, _client, payment = _card_paid(world, client_as, alice, bob)
    with django_capture_on_commit_callbacks(execute=False) as lost:
        assert reconcile_payments_task.apply(args=("alpha", 0)).get() == {"succeeded": 1}
    assert any("issue_receipt" in repr(callback) for callback in lost)  # dropped: never run
    assert _state("alpha", payment) == ("succeeded", "confirmed", [])
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_payments_task.apply(args=("alpha", 0)).get()
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_payments_task.apply(args=("alpha", 0)).get()
    numbers = _state("alpha", payment)[2]
    assert len(numbers) == 1 and not numbers[0].startswith("AV-")


def test_someone_who_paid_a_public_event_without_being_a_member_downloads_their_receipt(
    world, db, client_as, alice, bob, charlie, django_capture_on_commit_callbacks
):
    from workers.payments import reconcile_payments_task

    paid, client, payment = _card_paid(world, client_as, alice, charlie, visibility=Event.Visibility.PUBLIC)
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_payments_task.apply(args=("alpha", 0)).get()
    with schema_context("alpha"):
        receipt = Receipt.objects.get(payment=payment)
    pdf = client.get(f"/recus/{receipt.pk}/")  # charlie is a member of B, not of A
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client_as(bob, HOST_A).get(f"/recus/{receipt.pk}/").status_code == 404  # another member of A
    assert client_as(alice, HOST_A).get(f"/recus/{receipt.pk}/").status_code == 200  # A's team


def test_a_seat_holder_cannot_give_up_and_be_refunded_once_the_event_started_the_team_can(
    world, db, client_as, alice, bob, django_capture_on_commit_callbacks
):
    paid, client, payment = _card_paid(world, client_as, alice, bob)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(Client(HTTP_HOST=PLATFORM_HOST), _succeeded(payment, "evt_paid_then_attended"))
    assert _state("alpha", payment)[:2] == ("succeeded", "confirmed")
    with schema_context("alpha"):  # the training took place last week
        past = timezone.now() - timedelta(days=7)
        Event.objects.filter(pk=paid.pk).update(starts_at=past, ends_at=past + timedelta(hours=3))

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/evenements/{paid.pk}/desinscription/", follow=True)
    assert "votre inscription ne peut plus être annulée en ligne" in page.content.decode()
    assert "Annuler mon inscription" not in page.content.decode()
    assert _state("alpha", payment)[:2] == ("succeeded", "confirmed")

    with schema_context("alpha"):
        registration = Registration.objects.get(pk=payment.registration_id)
    with django_capture_on_commit_callbacks(execute=True):
        client_as(alice, HOST_A).post(f"/evenements/{paid.pk}/inscrits/{registration.pk}/annuler/")
    assert _state("alpha", payment)[:2] == ("refunded", "cancelled")


def test_an_event_price_below_the_card_minimum_is_refused_under_the_field(world, db, client_as, alice):
    """Stripe charges at least 0,50 € in euros: a 0,30 € event would hold seats nobody can pay.
    0 (free) and 0,50 € are accepted; 0,01 to 0,49 € are refused in French under the field, on
    creation and on change, and by the service itself (the API never sets a price)."""
    connect(world.a, alice)
    client = client_as(alice, HOST_A)
    message = "Indiquez 0 € pour un événement gratuit, ou au moins 0,50 € (minimum d'un paiement par carte)."
    refused = client.post("/evenements/nouveau/", _event_form(price="0.30", title="Atelier à 30 centimes"))
    assert refused.status_code == 200
    assert refused.context["form"].errors["price"] == [message]
    with schema_context("alpha"):
        assert not Event.objects.filter(title="Atelier à 30 centimes").exists()
    free = make_paid_event(price=Decimal("0"), title="Atelier gratuit")
    changed = client.post(
        f"/evenements/{free.pk}/modifier/",
        _event_form(title=free.title, visibility="members", capacity="2", price="0.49"),
    )
    assert changed.status_code == 200 and changed.context["form"].errors["price"] == [message]
    with schema_context("alpha"):
        free.refresh_from_db()
        assert free.price == Decimal("0")
        with pytest.raises(ValidationError) as error:
            services.update_event(actor=alice, event=free, data={"price": Decimal("0.01")})
        assert error.value.message_dict == {"price": [message]}
    minimum = client.post("/evenements/nouveau/", _event_form(price="0.50", title="Atelier à 50 centimes"))
    assert minimum.status_code == 302
    api = client_as(alice, HOST_A)
    created = api.post(
        "/api/v1/events/",
        {
            **{k: v for k, v in _event_form(title="Atelier API").items() if k != "registration_open"},
            "price": "0.30",
            "registration_open": True,
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["price"] == "0.00"
