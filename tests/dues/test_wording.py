"""The CPTS's name after a preposition reads as French: « à la CPTS des Trois Rivières » (the name
starts with « CPTS »), « à la CPTS Santé du Littoral » (it does not), never « à CPTS des … »."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from apps.dues import mails
from apps.dues.models import Dues, Reminder, Tier
from apps.members.models import Membership
from apps.notifications.models import Notification
from apps.notifications.service import set_preference
from tenants.models import Community


@pytest.mark.parametrize(
    ("name", "designation"),
    [
        ("CPTS des Trois Rivières", "la CPTS des Trois Rivières"),
        ("CPTS du Val de Morelle", "la CPTS du Val de Morelle"),
        ("cpts Alpha", "la cpts Alpha"),
        ("Santé du Littoral", "la CPTS Santé du Littoral"),
        (
            "Communauté professionnelle territoriale de santé du Blavet",
            "la Communauté professionnelle territoriale de santé du Blavet",
        ),
        ("CPTSud", "la CPTS CPTSud"),
    ],
)
def test_the_name_with_its_article(name, designation):
    assert Community(name=name).designation == designation


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CPTS des Trois Rivières", "à la CPTS des Trois Rivières"),
        ("Santé du Littoral", "à la CPTS Santé du Littoral"),
    ],
)
def test_the_dues_mails_say_a_la_cpts_whatever_the_name(name, expected, community_a, bob):
    Community.objects.filter(pk=community_a.pk).update(name=name)
    with schema_context(community_a.schema_name):
        membership = Membership.objects.get(user=bob)
        tier = Tier.objects.get(name="Adhésion classique")
        Dues.objects.create(membership=membership, year=2026, tier=tier, amount=tier.price, status="active")
        reminder = Reminder.objects.create(membership=membership, year=2027, offset_days=-30)
        mails.send_reminder(reminder)
        mails.tell_autorenew_failed(membership, 2027)
    subjects = [m.subject for m in mail.outbox]
    bodies = "\n".join(m.body for m in mail.outbox)
    assert subjects == [
        f"Votre adhésion 2027 {expected}",
        f"Votre renouvellement 2027 {expected} n'a pas abouti",
    ]
    assert f"adhésion {expected}" in bodies and f"à {name}" not in bodies


def test_a_member_may_mute_the_reminders_but_never_the_failed_automatic_renewal(community_a, bob):
    with schema_context(community_a.schema_name):
        membership = Membership.objects.get(user=bob)
        set_preference(actor=bob, kind=mails.REMINDER_KIND, channel="never")
        with pytest.raises(ValidationError):
            set_preference(actor=bob, kind=mails.AUTORENEW_FAILED_KIND, channel="never")
        reminder = Reminder.objects.create(membership=membership, year=2027, offset_days=-30)
        mails.send_reminder(reminder)
        mails.tell_autorenew_failed(membership, 2027)
        mails.tell_autorenew_failed(membership, 2027)  # refused again later: news again
        listed = list(Notification.objects.filter(user=bob).values_list("kind", flat=True))
    assert [m.subject for m in mail.outbox] == [
        "Votre renouvellement 2027 à la CPTS Alpha n'a pas abouti"
    ] * 2
    assert listed == [mails.AUTORENEW_FAILED_KIND] * 2
