"""Authorization that fails closed: write services check their actor with ``require_role``; the base
API views refuse a subclass that would loosen or replace their access check."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import schema_context
from rest_framework import mixins, permissions
from rest_framework.decorators import action

from apps.aci import services as aci_services
from apps.dues import services as dues_services
from apps.dues.models import Tier
from apps.events import services as event_services
from apps.health_projects import services as project_services
from apps.members.api_views import CommunityAPIView, CommunityGenericViewSet, CommunityModelViewSet
from apps.members.models import Invitation, Role
from apps.members.permissions import require_role
from apps.members.services import grant_role, invite
from apps.payments import services as payment_services
from apps.payments.models import Payment
from apps.working_groups import services as group_services
from tenants.access import PUBLIC, Access


def _paid_dues(member, alice) -> Payment:
    """``member``'s dues of the year, paid by cheque as recorded by the team (alice)."""
    tier = Tier.objects.order_by("pk").first()
    dues = dues_services.join(actor=member, tier=tier, eligibility_category="liberal", consent=True)
    return dues_services.record_offline_payment(actor=alice, dues=dues, method="cheque")


def test_require_role_answers_by_role_and_says_why_in_french(community_a, alice, bob, charlie):
    with schema_context("alpha"):
        assert require_role(alice, Role.ADMIN).user_id == alice.pk
        assert require_role(bob, Role.MEMBER).user_id == bob.pk
        with pytest.raises(PermissionDenied, match="réservée à l'équipe"):
            require_role(bob, Role.TEAM)
        with pytest.raises(PermissionDenied, match="pas membre de cette CPTS"):
            require_role(charlie, Role.MEMBER)
        with pytest.raises(PermissionDenied, match="pas membre de cette CPTS"):
            require_role(None, Role.MEMBER)
        grant_role(user=bob, role=Role.TEAM)
        with pytest.raises(PermissionDenied, match="réservée aux administrateurs"):
            require_role(bob, Role.ADMIN)


def test_a_plain_member_cannot_refund_a_payment(community_a, alice, bob, django_capture_on_commit_callbacks):
    with schema_context("alpha"):
        with django_capture_on_commit_callbacks(execute=False):
            payment = _paid_dues(bob, alice)
        with pytest.raises(PermissionDenied):
            payment_services.refund_payment(actor=bob, payment=payment)
        payment.refresh_from_db()
        assert payment.status == Payment.Status.SUCCEEDED


def test_a_member_of_another_cpts_cannot_refund_a_payment(
    community_a, alice, bob, charlie, django_capture_on_commit_callbacks
):
    with schema_context("alpha"):
        with django_capture_on_commit_callbacks(execute=False):
            payment = _paid_dues(bob, alice)
        with pytest.raises(PermissionDenied, match="pas membre de cette CPTS"):
            payment_services.refund_payment(actor=charlie, payment=payment)
        payment.refresh_from_db()
        assert payment.status == Payment.Status.SUCCEEDED


def test_a_plain_member_cannot_record_an_offline_payment_nor_resend_a_receipt(
    community_a, alice, bob, django_capture_on_commit_callbacks
):
    with schema_context("alpha"):
        tier = Tier.objects.order_by("pk").first()
        dues = dues_services.join(actor=bob, tier=tier, eligibility_category="liberal", consent=True)
        with pytest.raises(PermissionDenied):
            dues_services.record_offline_payment(actor=bob, dues=dues, method="cheque")
        assert not Payment.objects.filter(dues=dues).exists()
        with django_capture_on_commit_callbacks(execute=False):
            payment = dues_services.record_offline_payment(actor=alice, dues=dues, method="cheque")
        with pytest.raises(PermissionDenied):
            payment_services.resend_receipt(actor=bob, payment=payment)


@pytest.mark.parametrize(
    "write",
    [
        lambda bob: event_services.create_event(actor=bob, data={"title": "Soirée"}),
        lambda bob: project_services.create_version(actor=bob, title="Projet"),
        lambda bob: aci_services.create_indicator(actor=bob, data={"label": "Indicateur"}),
        lambda bob: group_services.create_group(actor=bob, data={"name": "Groupe"}),
    ],
    ids=["events", "health_projects", "aci", "working_groups"],
)
def test_team_writes_refuse_a_plain_member(community_a, bob, write):
    with schema_context("alpha"):
        with pytest.raises(PermissionDenied, match="réservée à l'équipe"):
            write(bob)


# --- Base API views that subclasses cannot weaken by accident -----------------------------------


@pytest.mark.parametrize("name", ["permission_classes", "required_role", "candidates_allowed"])
def test_a_view_may_not_set_its_own_permission_attributes(name):
    with pytest.raises(TypeError, match=name):
        type("Loose", (CommunityAPIView,), {name: [permissions.AllowAny], "access": PUBLIC})


@pytest.mark.parametrize("name", ["get_permissions", "check_permissions", "check_object_permissions"])
def test_a_view_may_not_replace_the_permission_check(name):
    with pytest.raises(TypeError, match=name):
        type("Loose", (CommunityAPIView,), {name: lambda self, *args: [], "access": PUBLIC})


def test_a_viewset_may_not_override_get_queryset():
    with pytest.raises(TypeError, match="get_queryset"):

        class Loose(CommunityModelViewSet):
            access = Access.role(Role.TEAM)

            def get_queryset(self):
                return Payment.objects.all()


def test_an_extra_action_may_not_bring_its_own_permission_classes():
    with pytest.raises(TypeError, match="permission_classes"):

        class Loose(mixins.ListModelMixin, CommunityGenericViewSet):
            access = Access.role(Role.TEAM)

            @action(detail=False, permission_classes=[permissions.AllowAny])
            def everyone(self, request):
                raise AssertionError


def test_the_bypasses_are_spelled_dangerously_and_stay_possible():
    class Explicit(CommunityModelViewSet):
        access = Access.role(Role.TEAM)

        def dangerously_get_queryset(self):
            return Payment.objects.none()

        def dangerously_get_permissions(self):
            return [permissions.AllowAny()]

    view = Explicit()
    assert isinstance(view.get_permissions()[0], permissions.AllowAny)
    assert view.get_queryset().model is Payment


def test_a_view_declares_an_access_object():
    with pytest.raises(TypeError, match="access"):
        type("Loose", (CommunityAPIView,), {"access": "public"})


def test_only_an_admin_invites(community_a, alice, bob, django_capture_on_commit_callbacks):
    with schema_context("alpha"):
        with pytest.raises(PermissionDenied, match="réservée aux administrateurs"):
            invite(actor=bob, email="intrus@test.fr", role=Role.ADMIN)
        assert not Invitation.objects.filter(email="intrus@test.fr").exists()
        with django_capture_on_commit_callbacks(execute=False):
            assert invite(actor=alice, email="nouvelle@test.fr", role=Role.MEMBER).invited_by == alice
