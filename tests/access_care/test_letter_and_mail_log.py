"""The patient's letter template cannot break the message, never names the patient in the subject
(kept in the platform's mail log), and the mail log forgets the patient with their request."""

from __future__ import annotations

import html

from django.core import mail
from django.urls import reverse
from django_tenants.utils import schema_context

from apps.access_care import services
from apps.access_care.models import DeskSettings
from apps.mailing.forget import address_digest
from apps.mailing.models import DeliveryEvent, SentMail, Suppression
from tests.access_care.conftest import SULLY, submit
from tests.access_care.test_desk_flow import _declare
from tests.mailing.test_tracking import _event, _post, webhook_secret  # noqa: F401 (fixture)


def _settings_data(client) -> dict:
    form = client.get(reverse("access_care:settings")).context["form"]
    return {name: form[name].value() for name in form.fields}


def test_the_settings_refuse_unknown_variables_lone_braces_and_the_patient_s_name_in_the_subject(
    desk, community_a, dora_client
):
    with schema_context(community_a.schema_name):
        before = DeskSettings.objects.values_list("letter_subject", "letter_body").get(pk=1)
    cases = [
        ("letter_subject", "Votre médecin {Medecin}", "Variable non permise ici : {Medecin}"),
        ("letter_subject", "{prenom} {nom} : votre médecin", "Variable non permise ici : {nom}, {prenom}"),
        ("letter_body", "Bonjour {prenom.upper}", "Variable non permise ici : {prenom.upper}"),
        ("letter_body", "Bonjour {prenom", "Accolade isolée"),
    ]
    for field, value, message in cases:
        data = _settings_data(dora_client)
        data[field] = value
        response = dora_client.post(reverse("access_care:settings"), data)
        assert response.status_code in (200, 400), (value, response.status_code)
        assert any(message in error for error in response.context["form"].errors[field]), (value, message)
    with schema_context(community_a.schema_name):
        assert DeskSettings.objects.values_list("letter_subject", "letter_body").get(pk=1) == before


def test_a_template_saved_before_the_check_leaves_unknown_names_as_typed(desk, community_a):
    with schema_context(community_a.schema_name):
        DeskSettings.objects.filter(pk=1).update(
            letter_subject="Votre médecin {Medecin}", letter_body="Bonjour {prenom}, {x.y} {cpts"
        )
        _declare(desk.gaston, 2, SULLY)
        request = submit()
        proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
        services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
        request.refresh_from_db()
        message = services.patient_message(request)
    assert message["subject"] == "Votre médecin {Medecin}"
    assert message["body"] == "Bonjour {prenom}, {x.y} {cpts"


def test_erasing_a_request_blanks_the_patient_in_the_mail_log_and_the_key_stays(
    desk, community_a, django_capture_on_commit_callbacks
):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 2, SULLY)
        request = submit()
        with django_capture_on_commit_callbacks(execute=True):
            proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
        with django_capture_on_commit_callbacks(execute=True):
            services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
        key = f"access_care.patient_found:{request.pk}"
        sent = SentMail.objects.get(schema=community_a.schema_name, key=key)
        assert sent.recipients == [address_digest(request.email)] and sent.subject == ""
        services.erase_request(actor=desk.dora, request=request)
        sent.refresh_from_db()
    assert (sent.recipients, sent.subject) == ([], "")
    assert SentMail.objects.filter(key=key).count() == 1  # a retried task still finds it sent


def test_the_platform_mail_log_never_shows_a_patient_address_and_a_bounce_still_suppresses_it(
    desk,
    community_a,
    django_capture_on_commit_callbacks,
    webhook_secret,  # noqa: F811
):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 2, SULLY)
        request = submit()
        with django_capture_on_commit_callbacks(execute=True):
            proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
        with django_capture_on_commit_callbacks(execute=True):
            services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
        request.refresh_from_db()
        email = request.email
    assert request.patient_notified_at is not None
    sent = SentMail.objects.get(schema=community_a.schema_name, key=f"access_care.patient_found:{request.pk}")
    public_log = " ".join(str(v) for v in SentMail.objects.values_list("recipients", "subject"))
    assert email and email.lower() not in public_log.lower()

    assert _post(_event("hard_bounce", sent, email)).status_code == 200
    (stored,) = DeliveryEvent.objects.filter(sent_mail=sent)
    assert stored.recipient == "" and stored.suppressed
    assert Suppression.objects.filter(address=email.lower()).exists()


OLD_DEFAULT_BODY = (
    "Prenez rendez-vous en précisant que vous venez de la part de la CPTS {cpts}.\n"
    "L'équipe de coordination de la CPTS {cpts}"
)


def test_the_patient_letter_and_mail_name_the_cpts_once_with_its_article_even_with_an_old_template(
    desk, community_a, dora_client, django_capture_on_commit_callbacks
):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 2, SULLY, practice_name="Cabinet du Port")
        request = submit()
        with django_capture_on_commit_callbacks(execute=True):
            proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
        with django_capture_on_commit_callbacks(execute=True):
            services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
        request.refresh_from_db()
        new_default = services.patient_message(request)["body"]
        DeskSettings.objects.filter(pk=1).update(letter_body=OLD_DEFAULT_BODY)
        old_saved = services.patient_message(request)["body"]
    patient_mail = [m for m in mail.outbox if m.to == [request.email]]
    letter = html.unescape(
        dora_client.get(reverse("access_care:request_letter", args=[request.pk])).content.decode()
    )
    assert len(patient_mail) == 1
    for text in (new_default, patient_mail[0].body, old_saved, letter):
        assert "de la part de la CPTS Alpha" in text, text
        assert "L'équipe de coordination de la CPTS Alpha" in text, text
        assert "CPTS CPTS" not in text and "la la" not in text, text
