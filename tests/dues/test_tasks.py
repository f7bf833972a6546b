"""Renewals and receipt tasks run twice and act once."""

from __future__ import annotations

from decimal import Decimal

from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.dues.models import Dues, DuesSettings, Reminder, Tier
from apps.dues.renewals import due_offsets
from apps.members.models import Membership
from apps.payments.models import Payment, Receipt
from workers.dues import fan_out_renewals_task, run_renewals_task
from workers.payments import issue_receipt_task


def _paid(community, user, year):
    with schema_context(community.schema_name):
        membership = Membership.objects.get(user=user)
        tier = Tier.objects.first()
        return Dues.objects.create(
            membership=membership, year=year, tier=tier, amount=tier.price, status="active"
        )


def test_reminder_days_follow_the_offsets_around_1_january():
    from datetime import date

    offsets = [-30, 0, 30]
    assert due_offsets(date(2026, 12, 2), offsets) == [(2027, -30)]
    assert due_offsets(date(2027, 1, 1), offsets) == [(2027, 0)]
    assert due_offsets(date(2027, 1, 31), offsets) == [(2027, 30)]
    assert due_offsets(date(2027, 1, 5), offsets) == [(2027, 0)]  # catch-up after a missed day
    assert due_offsets(date(2026, 6, 15), offsets) == []


def test_the_1_january_run_lapses_last_year_and_reminds_once_even_when_run_twice(
    world, db, community_a, bob, alice
):
    old = _paid(community_a, bob, 2026)
    first = run_renewals_task.apply(args=(community_a.schema_name, "2027-01-01")).get()
    sent_after_first = len(mail.outbox)
    second = run_renewals_task.apply(args=(community_a.schema_name, "2027-01-01")).get()
    # 1 January: the day's reminders and the automatic renewals of the year.
    assert first == {"lapsed": 1, "campaigns": 2}
    assert second == {"lapsed": 0, "campaigns": 0}
    assert sent_after_first == 1 and len(mail.outbox) == 1
    assert (
        mail.outbox[0].to == ["bob@test.fr"]
        and "Votre adhésion 2027 à la CPTS Alpha" == mail.outbox[0].subject
    )
    assert "http://alpha.localhost/adhesion/renouveler/" in mail.outbox[0].body
    with schema_context(community_a.schema_name):
        old.refresh_from_db()
        assert old.status == "expired"
        reminders = [(r.year, r.offset_days, r.sent_at is not None) for r in Reminder.objects.all()]
        assert reminders == [(2027, 0, True)]


def test_a_member_who_already_renewed_gets_no_reminder(world, db, community_a, bob):
    _paid(community_a, bob, 2026)
    _paid(community_a, bob, 2027)
    result = run_renewals_task.apply(args=(community_a.schema_name, "2026-12-02")).get()
    assert result == {"lapsed": 0, "campaigns": 1} and mail.outbox == []


def test_the_cpts_sets_its_own_reminder_days(world, db, community_a, bob):
    _paid(community_a, bob, 2026)
    with schema_context(community_a.schema_name):
        DuesSettings.objects.filter(pk=1).update(reminder_offsets=[-15])
    assert run_renewals_task.apply(args=(community_a.schema_name, "2026-12-02")).get()["campaigns"] == 0
    assert run_renewals_task.apply(args=(community_a.schema_name, "2026-12-17")).get()["campaigns"] == 1
    assert [m.to for m in mail.outbox] == [["bob@test.fr"]]


def test_an_interrupted_campaign_resumes_without_reminding_anyone_twice(world, db, community_a, alice, bob):
    from apps.dues import renewals
    from apps.dues.models import ReminderCampaign

    _paid(community_a, alice, 2026)
    _paid(community_a, bob, 2026)
    calls = []

    def flaky_send(reminder):
        calls.append(reminder.membership.user.email)
        if len(calls) == 2:
            raise OSError("SMTP down")

    with schema_context(community_a.schema_name):
        campaign = ReminderCampaign.objects.create(year=2027, offset_days=0)
        try:
            renewals.send_campaign(campaign.pk, flaky_send)
        except OSError:
            pass
        sent_later = renewals.send_campaign(campaign.pk, lambda r: calls.append(r.membership.user.email))
        again = renewals.send_campaign(campaign.pk, lambda r: calls.append("never"))
        claimed = sorted(Reminder.objects.filter(year=2027).values_list("membership__user__email", flat=True))
    # alice sent once; bob failed once, then was sent; nobody twice, nothing after the end.
    assert calls == ["alice@test.fr", "bob@test.fr", "bob@test.fr"]
    assert (sent_later, again) == (1, 0)
    assert claimed == ["alice@test.fr", "bob@test.fr"]


def test_the_beat_fan_out_enqueues_one_run_per_active_cpts(world, db, community_a, community_b, bob):
    _paid(community_a, bob, 2026)
    count = fan_out_renewals_task.apply(args=("2027-01-01",)).get()
    assert count >= 2
    with schema_context(community_a.schema_name):
        assert Dues.objects.get(membership__user=bob, year=2026).status == "expired"


def test_the_receipt_task_run_twice_numbers_and_mails_once(world, db, community_a, bob):
    dues = _paid(community_a, bob, 2026)
    with schema_context(community_a.schema_name):
        payment = Payment.objects.create(
            dues=dues, method="cheque", amount=Decimal("5"), status="succeeded", paid_at=timezone.now()
        )
    first = issue_receipt_task.apply(args=(community_a.schema_name, payment.pk)).get()
    second = issue_receipt_task.apply(args=(community_a.schema_name, payment.pk)).get()
    assert first == second
    with schema_context(community_a.schema_name):
        assert Receipt.objects.filter(payment=payment).count() == 1
    assert len(mail.outbox) == 1


def test_a_stripe_event_task_run_twice_acts_once(
    world, db, community_a, alice, bob, client_as, django_capture_on_commit_callbacks
):
    from django.test import Client

    from apps.stripe_gateway.models import WebhookEvent
    from tests.conftest import HOST_A, PLATFORM_HOST
    from tests.dues.conftest import card_token, connect, event, join_data, post_event
    from workers.payments import handle_stripe_event_task

    connect(community_a, alice)
    client = client_as(bob, HOST_A)
    with schema_context(community_a.schema_name):
        tier = Tier.objects.first()
    location = client.post("/adhesion/", join_data(tier.pk))["Location"]
    client.get(location)
    with schema_context(community_a.schema_name):
        payment = Payment.objects.get(dues__membership__user=bob)
    client.post(
        f"/cotisation/paiement/{payment.pk}/confirmer/", {"payment_method": card_token("4242424242424242")}
    )
    with django_capture_on_commit_callbacks(execute=False):
        post_event(
            Client(HTTP_HOST=PLATFORM_HOST),
            event("evt_twice", "payment_intent.succeeded", {"id": payment.stripe_payment_intent_id}),
        )
    record = WebhookEvent.objects.get(event_id="evt_twice")
    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = handle_stripe_event_task.apply(args=(community_a.schema_name, record.pk)).get()
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = handle_stripe_event_task.apply(args=(community_a.schema_name, record.pk)).get()
    assert (first, second) == ("succeeded", "unchanged")
    assert len(first_callbacks) == 1 and len(second_callbacks) == 0
    with schema_context(community_a.schema_name):
        assert Receipt.objects.filter(payment=payment).count() == 1
    # The same event id handed to B's schema is refused: the row belongs to A.
    assert handle_stripe_event_task.apply(args=("beta", record.pk)).get() == "skipped"
