"""What « mes données » exports and what erasure reaches: the person's own rows, in every CPTS
holding one, and never the rows of other people the person only acted on — above all the desk's
patients, which a GP or a team member reads on the desk's pages only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.access_care import services as desk_services
from apps.access_care.models import DeskPermission
from apps.compliance.erasure import erase_account
from apps.compliance.personal_data import ACTED, PERSONAL, collect
from apps.events import services as events
from apps.events.models import Event, Registration
from apps.mailing.forget import address_digest, pseudonymise_recipients
from apps.mailing.models import DeliveryEvent, SentMail
from apps.members.models import Invitation
from apps.notifications.models import Unsubscription
from apps.roster.models import RosterProfile, Slot
from apps.site.models import VisitorMessage
from tests.access_care.conftest import SULLY, Desk, build_desk, request_data, submit
from tests.access_care.test_desk_flow import _declare
from tests.conftest import HOST_A


@pytest.fixture
def desk(community_a, settings) -> Desk:
    settings.HDS_HOSTING = True
    return build_desk(community_a.schema_name)


PATIENT_WORDS = ("Lefèvre", "1948-05-17", "06 12 34 56 78", "pregnancy")


def _exported_text(user) -> str:
    document, _files = collect(user)
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False)


def test_every_foreign_key_to_an_account_says_whether_the_row_is_the_person_s_own_or_an_action():
    user_model = get_user_model()
    unclassified = []
    for model in django_apps.get_models():
        label = model._meta.label_lower
        if model is user_model or label in {"authtoken.token", "authtoken.tokenproxy", "sessions.session"}:
            continue
        for field in model._meta.fields:
            if field.is_relation and field.related_model is user_model:
                if field.name not in PERSONAL.get(label, set()) | ACTED.get(label, set()):
                    unclassified.append(f"{label}.{field.name}")
    assert unclassified == [], f"classify these in apps/compliance/personal_data.py: {unclassified}"


def test_a_gp_s_export_lists_the_patients_he_took_by_id_only(desk, community_a):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 2, SULLY)
        request = submit(criteria=("ald", "pregnancy"))
        proposal = desk_services.propose(actor=desk.dora, request=request, gp=desk.gaston)
        desk_services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
    text = _exported_text(desk.gaston)
    assert [word for word in PATIENT_WORDS if word in text] == []
    document, _files = collect(desk.gaston)
    mine = document["cpts"][community_a.schema_name]["données"]
    assert mine["actions"]["access_care.patientrequest"] == [request.pk]
    assert "access_care.gpcapacity" in mine  # his own declaration is his


def test_a_team_member_reads_no_request_through_her_export_even_after_losing_the_desk(desk, community_a):
    with schema_context(community_a.schema_name):
        desk_services.record_request(actor=desk.dora, data=request_data(), channel="phone", consent=True)
        DeskPermission.objects.filter(user=desk.dora).delete()
    assert [word for word in PATIENT_WORDS if word in _exported_text(desk.dora)] == []


def _public_event(schema: str) -> Event:
    with schema_context(schema):
        start = timezone.now() + timedelta(days=3)
        return Event.objects.create(
            title="Conférence publique",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            visibility=Event.Visibility.PUBLIC,
            status=Event.Status.PUBLISHED,
        )


def test_a_cpts_where_the_person_only_registered_to_an_event_is_exported_and_erased(community_a, charlie):
    event = _public_event(community_a.schema_name)
    with schema_context(community_a.schema_name):
        events.register(actor=charlie, event=event)  # charlie is a member of B only
    document, _files = collect(charlie)
    assert community_a.schema_name in document["cpts"]
    assert document["cpts"][community_a.schema_name]["données"]["events.registration"][0]["event"] == event.pk

    request = erase_account(actor=charlie)
    assert community_a.schema_name in request.communities
    with schema_context(community_a.schema_name):
        assert Registration.objects.filter(user=charlie).exists()  # the row stays, the account is anonymous


def test_an_erased_professional_s_snp_feed_and_slots_to_come_are_gone(community_a, bob):
    today = timezone.localdate()
    with schema_context(community_a.schema_name):
        profile, _ = RosterProfile.objects.get_or_create(professional=bob)
        common = {"professional": bob, "place_name": "Cabinet", "commune_id": SULLY}
        past = Slot.objects.create(
            date=today - timedelta(days=7), starts_at="08:00", ends_at="12:00", **common
        )
        coming = Slot.objects.create(
            date=today + timedelta(days=7), starts_at="08:00", ends_at="12:00", **common
        )
        weekly = Slot.objects.create(
            weekday=0, starts_at="14:00", ends_at="18:00", valid_from=today - timedelta(days=30), **common
        )
    url = f"/snp/agenda/{profile.feed_token}.ics"
    assert Client(HTTP_HOST=HOST_A).get(url).status_code == 200

    erase_account(actor=bob)

    assert Client(HTTP_HOST=HOST_A).get(url).status_code == 404
    with schema_context(community_a.schema_name):
        assert Slot.objects.filter(pk=past.pk).exists()
        assert not Slot.objects.filter(pk=coming.pk).exists()
        assert Slot.objects.get(pk=weekly.pk).valid_until == today - timedelta(days=1)


def test_erasure_forgets_the_address_in_rows_that_name_the_person_by_e_mail_only(community_a, bob, charlie):
    from_mail = bob.email.upper()  # rows typed by hand keep whatever case the person used
    with schema_context(community_a.schema_name):
        invitation = Invitation.objects.create(
            email=from_mail, token_hash="f" * 64, expires_at=timezone.now() + timedelta(days=7)
        )
        message = VisitorMessage.objects.create(kind="contact", name="Bob", email=bob.email, body="Bonjour")
        Unsubscription.objects.create(email=bob.email, kind="campaigns.campaign")
        kept = VisitorMessage.objects.create(
            kind="contact", name="Charlie", email=charlie.email, body="Salut"
        )
    SentMail.objects.create(
        schema=community_a.schema_name, key="tests.erasure:1", recipients=[bob.email, charlie.email]
    )
    DeliveryEvent.objects.create(
        provider="brevo", fingerprint="f" * 64, event_type="delivered", recipient=bob.email,
        occurred_at=timezone.now(),
    )  # fmt: skip

    erase_account(actor=bob)

    anonymous = f"compte-efface-{bob.pk}@anonyme.invalid"
    with schema_context(community_a.schema_name):
        assert Invitation.objects.get(pk=invitation.pk).email == anonymous
        assert not VisitorMessage.objects.filter(pk=message.pk).exists()
        assert VisitorMessage.objects.filter(pk=kept.pk).exists()
        assert list(Unsubscription.objects.values_list("email", flat=True)) == [anonymous]
    assert SentMail.objects.get(key="tests.erasure:1").recipients == [charlie.email]
    assert DeliveryEvent.objects.get().recipient == ""


def test_erasure_blanks_a_guest_s_name_and_the_keyed_digest_of_the_address(community_a, bob):
    event = _public_event(community_a.schema_name)
    with schema_context(community_a.schema_name):
        registration = events.register_guest(
            event=event, first_name="Bobby", last_name="Durand-Unique", email=bob.email
        )
    SentMail.objects.create(
        schema=community_a.schema_name, key="desk.patient:1", recipients=[bob.email], message_id="<d1@t>"
    )
    pseudonymise_recipients(schema=community_a.schema_name, keys=["desk.patient:1"])
    assert SentMail.objects.get(key="desk.patient:1").recipients == [address_digest(bob.email)]

    erase_account(actor=bob)

    with schema_context(community_a.schema_name):
        registration = Registration.objects.get(pk=registration.pk)
    assert (registration.guest_first_name, registration.guest_last_name) == ("", "Anonyme")
    assert SentMail.objects.get(key="desk.patient:1").recipients == []
