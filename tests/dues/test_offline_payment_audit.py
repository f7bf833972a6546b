"""A payment recorded by hand by the team (cheque, transfer, cash) writes one line in the CPTS's
audit log: who recorded it, on which payment, the amount, the method and the year of dues
(docs/audit.md). A refused entry, another CPTS's member or a member without the team role write
nothing, in either CPTS's log."""

from __future__ import annotations

from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.dues import services
from apps.dues.models import Tier
from apps.payments.models import Payment
from tests.conftest import HOST_A
from tests.dues.conftest import in_schema
from tests.dues.test_join_and_offline import _join

CODE = "payments.recorded_offline"


def _lines(community) -> list[tuple]:
    with in_schema(community):
        return list(
            AuditEvent.objects.filter(action=CODE)
            .order_by("pk")
            .values_list("actor_id", "by_platform", "target_type", "target_id", "details")
        )


def test_a_cheque_recorded_by_the_team_is_audited_with_who_what_and_how_much(
    community_a, community_b, client_as, alice, bob, charlie, django_capture_on_commit_callbacks
):
    dues = _join(client_as(bob, HOST_A), community_a, bob)
    with in_schema(community_a):
        membership_id, tier_id = dues.membership_id, dues.tier_id
    form = {"action": "offline", "year": dues.year, "tier": tier_id, "method": "cheque", "reference": "CHQ 7"}
    for user, status in ((charlie, 404), (bob, 403)):  # another CPTS's member, a plain member
        assert client_as(user, HOST_A).post(f"/equipe/adherents/{membership_id}/", form).status_code == status
    assert _lines(community_a) == [] and _lines(community_b) == []

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(alice, HOST_A).post(f"/equipe/adherents/{membership_id}/", form)
    assert response.status_code == 302
    # Recorded again (already paid): refused, and no second line.
    again = client_as(alice, HOST_A).post(f"/equipe/adherents/{membership_id}/", form, follow=True)
    assert "déjà réglée" in again.text
    with in_schema(community_a):
        payment = Payment.objects.get(dues=dues)
    assert _lines(community_a) == [
        (
            alice.pk,
            False,
            "payments.payment",
            str(payment.pk),
            {"amount": "5.00", "method": "cheque", "year": dues.year},
        )
    ]
    assert _lines(community_b) == []


def test_an_offline_payment_recorded_through_the_service_is_audited_with_its_amount(
    community_a, client_as, alice, bob, django_capture_on_commit_callbacks
):
    dues = _join(client_as(bob, HOST_A), community_a, bob)
    with schema_context(community_a.schema_name), django_capture_on_commit_callbacks(execute=True):
        partner = Tier.objects.get(name="Adhésion partenaire")
        payment = services.record_manual_dues(
            actor=alice, membership=dues.membership, tier=partner, year=dues.year, method="transfer"
        )
    assert _lines(community_a) == [
        (alice.pk, False, "payments.payment", str(payment.pk),
         {"amount": "17.00", "method": "transfer", "year": dues.year}),
    ]  # fmt: skip
