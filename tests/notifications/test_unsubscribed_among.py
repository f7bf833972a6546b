"""One rule for « must not send this kind to this person », single and bulk: the campaign sender
(and any bulk sender) asks the notification service for a whole batch at once."""

from __future__ import annotations

from django_tenants.utils import schema_context

from apps.notifications import service
from apps.notifications.models import Preference, Unsubscription
from apps.notifications.registry import Channel

KIND = "campaigns.campaign"


def test_the_bulk_check_and_the_single_check_are_one_rule(world, db, bob, charlie):
    with schema_context("alpha"):
        # As a one-click link stores them: trimmed, lower case (Python's lower case).
        Unsubscription.objects.create(email="josé.dupré@exemple.fr", kind=KIND)
        Unsubscription.objects.create(email="marc@exemple.fr", kind=KIND)
        Unsubscription.objects.create(email="autre@exemple.fr", kind="events.reminder")
        Preference.objects.create(user=bob, kind=KIND, channel=Channel.NEVER)
        Preference.objects.create(user=charlie, kind=KIND, channel=Channel.DIGEST)
        recipients = [
            ("JOSÉ.Dupré@Exemple.fr", None),  # non-ASCII capitals: the same address
            ("  Marc@EXEMPLE.fr ", None),
            ("autre@exemple.fr", None),  # unsubscribed from another kind only
            (bob.email, bob.pk),  # « jamais » on his account
            ("bob.pro@exemple.fr", bob.pk),  # another address of the same account
            (charlie.email, charlie.pk),  # chose the digest: still receives
            ("inconnu@exemple.fr", None),
        ]
        gone = service.unsubscribed_among(recipients, KIND)
        one_by_one = {
            (address, user_id)
            for address, user_id in recipients
            if service.is_unsubscribed(address, KIND, user_id=user_id)
        }
        assert (
            gone
            == one_by_one
            == {
                ("JOSÉ.Dupré@Exemple.fr", None),
                ("  Marc@EXEMPLE.fr ", None),
                (bob.email, bob.pk),
                ("bob.pro@exemple.fr", bob.pk),
            }
        )
        assert service.unsubscribed_among([], KIND) == set()
    with schema_context("beta"):  # per CPTS
        assert service.unsubscribed_among(recipients, KIND) == set()


def test_resubscribing_undoes_an_unsubscription_written_in_any_case(world, db, bob):
    with schema_context("alpha"):
        Unsubscription.objects.create(email="josé.dupré@exemple.fr", kind=KIND)
        assert service.is_unsubscribed("JOSÉ.DUPRÉ@exemple.fr", KIND)
        service.resubscribe("JOSÉ.DUPRÉ@exemple.fr ", KIND)
        assert not service.is_unsubscribed("josé.dupré@exemple.fr", KIND)
        assert not Unsubscription.objects.exists()
