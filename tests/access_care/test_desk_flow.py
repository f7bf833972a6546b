"""The médecin-traitant desk from the public form to a GP's answer: consent, territory, honeypot,
rate limit, triage and statuses, GP capacity and ranked proposals, the accept/decline flow with
its lock, retention, indicators."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.access_care import selectors, services
from apps.access_care.models import (
    AccessLog,
    DeskPermission,
    DeskSettings,
    GpCapacity,
    PatientRequest,
    Proposal,
    StatusChange,
)
from apps.aci import services as aci_services
from apps.aci.indicators import compute_value
from apps.aci.models import Indicator
from apps.aci.reports import build_report_data, render_csv
from apps.audit.models import AuditEvent
from apps.members.models import Membership
from apps.professionals.models import AccountCommunity
from apps.territory.models import TerritoryCommune
from tests.access_care.conftest import ORLEANS, OUZOUER, SAINT_BENOIT, SULLY, build_desk, request_data, submit
from tests.conftest import HOST_A, verified_operator_client, wait_until
from workers.access_care import apply_retention_task, notify_gp_task

FORM = {
    "last_name": "Lefèvre",
    "first_name": "Jeanne",
    "birth_date": "1948-05-17",
    "commune": "Sully-sur-Loire",
    "phone": "06 12 34 56 78",
    "email": "jeanne@example.fr",
    "contact_by": "email",
    "criteria": ["ald"],
    "consent": "on",
}


def _post_form(data: dict, ip: str = "10.2.2.2"):
    return Client(HTTP_HOST=HOST_A, REMOTE_ADDR=ip).post(reverse("access_care:request_form"), data)


def _count(schema: str) -> int:
    with schema_context(schema):
        return PatientRequest.objects.count()


# --- The public form ---------------------------------------------------------------------------------


def test_the_public_form_stores_a_request_with_its_priority_and_consent(desk, community_a):
    response = _post_form(FORM)
    assert response.status_code == 302 and response["Location"] == reverse("access_care:request_sent")
    with schema_context(community_a.schema_name):
        request = PatientRequest.objects.get()
        assert (request.commune, request.channel, request.status) == (SULLY, "web", "new")
        # ALD (100) and 70 and over (100) with the default weights.
        assert request.priority == 200
        assert request.consent_at is not None
        assert StatusChange.objects.filter(request=request, to_status="new").exists()


def test_the_public_form_refuses_a_request_without_consent(desk, community_a):
    response = _post_form({**FORM, "consent": ""})
    assert response.status_code == 400
    assert "Votre accord est nécessaire" in response.content.decode()
    assert _count(community_a.schema_name) == 0


def test_a_commune_outside_the_territory_is_refused_with_a_french_answer_pointing_elsewhere(
    desk, community_a
):
    response = _post_form({**FORM, "commune": ORLEANS})
    assert response.status_code == 400
    body = response.content.decode()
    assert "ne fait pas partie du territoire de la CPTS" in body
    assert "caisse primaire d&#x27;assurance maladie" in body or "caisse primaire d'assurance maladie" in body
    assert _count(community_a.schema_name) == 0
    with schema_context(community_a.schema_name), pytest.raises(ValidationError):
        services.submit_public_request(data=request_data(commune=ORLEANS), consent=True, client_ip="1.1.1.1")


def test_the_honeypot_stores_nothing_and_answers_like_a_success(desk, community_a):
    response = _post_form({**FORM, "website": "http://spam.example"})
    assert response.status_code == 302
    assert _count(community_a.schema_name) == 0


def test_the_public_form_is_rate_limited_per_address(desk, community_a):
    for _ in range(services.REQUEST_RATE_LIMIT):
        assert _post_form({**FORM, "first_name": "X"}, ip="10.3.3.3").status_code == 302
    response = _post_form(FORM, ip="10.3.3.3")
    assert response.status_code == 429
    assert "réessayer plus tard" in response.content.decode()
    assert _count(community_a.schema_name) == services.REQUEST_RATE_LIMIT
    assert _post_form(FORM, ip="10.4.4.4").status_code == 302


def test_the_team_records_a_request_taken_by_phone(desk, community_a, dora_client):
    data = {
        **FORM,
        "commune": SAINT_BENOIT,
        "channel": "phone",
        "notes": "Appel de la fille",
        "criteria": ["c2s"],
    }
    response = dora_client.post(reverse("access_care:request_new"), data)
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        request = PatientRequest.objects.get()
        assert (request.channel, request.created_by_id, request.notes) == (
            "phone",
            desk.dora.pk,
            "Appel de la fille",
        )


# --- Triage ----------------------------------------------------------------------------------------------


def test_the_queue_puts_priority_first_then_the_longest_wait(desk, community_a, dora_client):
    with schema_context(community_a.schema_name):
        young = submit(last_name="Jeune", birth_date=date(1995, 1, 1), criteria=())
        old_wait = submit(last_name="Ancien", birth_date=date(1990, 1, 1), criteria=())
        PatientRequest.objects.filter(pk=old_wait.pk).update(created_at=timezone.now() - timedelta(days=40))
        urgent = submit(last_name="Urgent", birth_date=date(1990, 1, 1), criteria=("ald", "c2s"))
        order = list(selectors.list_queue(selectors.QueueFilters()).values_list("pk", flat=True))
        assert order == [urgent.pk, old_wait.pk, young.pk]
        assert list(
            selectors.list_queue(selectors.QueueFilters(priority_only=True)).values_list("pk", flat=True)
        ) == [urgent.pk]
    page = dora_client.get(reverse("access_care:queue")).content.decode()
    assert page.index("Urgent") < page.index("Ancien") < page.index("Jeune")
    assert "40 j" in page


def test_the_cpts_weights_change_the_priorities(desk, community_a):
    with schema_context(community_a.schema_name):
        request = submit(birth_date=date(1990, 1, 1), criteria=("pregnancy",))
        assert request.priority == 50
        weights = {**services.get_desk_settings().weights, "pregnancy": 300}
        services.update_settings(
            actor=desk.dora,
            weights=weights,
            retention_months=6,
            letter_subject="Objet",
            letter_body="{prenom}",
        )
        request.refresh_from_db()
        assert request.priority == 300


def test_statuses_record_who_and_when_and_refuse_a_jump(desk, community_a):
    with schema_context(community_a.schema_name):
        request = submit()
        services.change_status(actor=desk.dora, request=request, to_status="qualified")
        with pytest.raises(ValidationError):
            services.change_status(actor=desk.dora, request=request, to_status="accepted")
        with pytest.raises(ValidationError, match="pourquoi"):
            services.change_status(actor=desk.dora, request=request, to_status="closed")
        services.change_status(actor=desk.dora, request=request, to_status="closed", close_reason="moved")
        request.refresh_from_db()
        assert (request.status, request.close_reason) == ("closed", "moved")
        assert request.closed_at is not None
        changes = list(
            StatusChange.objects.filter(request=request).values_list("from_status", "to_status", "by_id")
        )
        assert changes == [
            ("", "new", None),
            ("new", "qualified", desk.dora.pk),
            ("qualified", "closed", desk.dora.pk),
        ]
        with pytest.raises(PermissionDenied):
            services.change_status(actor=desk.tina, request=request, to_status="qualified")


# --- GP capacity and proposals -------------------------------------------------------------------------


def _declare(gp, places: int, commune: str, **extra):
    return services.declare_capacity(
        actor=gp, places=places, groups=[], communes=[], practice_commune=commune, **extra
    )


def test_gps_are_ranked_by_distance_fit_and_places(desk, community_a):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 1, SULLY)
        _declare(desk.ginette, 5, OUZOUER)
        near_sully = submit(commune=SAINT_BENOIT)
        near_ouzouer = submit(commune=OUZOUER, last_name="Autre")
        ranked = selectors.rank_gps_for([near_sully, near_ouzouer])
        assert [c.gp.pk for c in ranked[near_sully.pk]] == [desk.gaston.pk, desk.ginette.pk]
        assert ranked[near_sully.pk][0].distance_km == pytest.approx(7.1, abs=0.5)
        assert [c.gp.pk for c in ranked[near_ouzouer.pk]] == [desk.ginette.pk, desk.gaston.pk]
        assert ranked[near_ouzouer.pk][0].distance_km == 0.0


def test_only_gp_members_declare_places_and_never_below_those_taken(desk, community_a, bob):
    with schema_context(community_a.schema_name):
        with pytest.raises(Exception, match="médecins"):
            _declare(bob, 3, SULLY)
        capacity = _declare(desk.gaston, 2, SULLY)
        GpCapacity.objects.filter(pk=capacity.pk).update(taken=2)
        with pytest.raises(ValidationError):
            _declare(desk.gaston, 1, SULLY)


def test_a_gp_accepts_from_the_member_space_and_the_patient_is_told(
    desk, community_a, client_as, dora_client, django_capture_on_commit_callbacks
):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 2, SULLY, practice_name="Cabinet du Port", practice_phone="02 38 00 00 00")
        request = submit()
    with django_capture_on_commit_callbacks(execute=True):
        response = dora_client.post(
            reverse("access_care:request_propose", args=[request.pk]), {"gp": desk.gaston.pk}
        )
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        proposal = Proposal.objects.get(request=request)
        assert PatientRequest.objects.get(pk=request.pk).status == "proposed"
    gp_mail = [m for m in mail.outbox if m.to == ["gaston@test.fr"]]
    assert len(gp_mail) == 1
    assert "Lefèvre" not in gp_mail[0].body and "Jeanne" not in gp_mail[0].body
    assert reverse("access_care:gp_proposal", args=[proposal.pk]) in gp_mail[0].body
    # The link needs the GP's login: anonymous visitors go to the login page, other members get 404.
    url = reverse("access_care:gp_proposal", args=[proposal.pk])
    assert Client(HTTP_HOST=HOST_A).get(url).status_code == 302
    assert client_as(desk.ginette, HOST_A).get(url).status_code == 404
    gaston = client_as(desk.gaston, HOST_A)
    page = gaston.get(url).content.decode()
    assert "Lefèvre" not in page and "ALD" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert gaston.post(url, {"answer": "accept"}).status_code == 302
    with schema_context(community_a.schema_name):
        request.refresh_from_db()
        assert (request.status, request.found_gp_id) == ("accepted", desk.gaston.pk)
        assert GpCapacity.objects.get(gp=desk.gaston).taken == 1
        assert AccessLog.objects.filter(
            user_email="gaston@test.fr", action="gp_view", request_id=request.pk
        ).exists()
    # The identity is health data: the second factor first, then shown for a while only.
    challenge = gaston.get(url)
    assert challenge.status_code == 302 and "/compte/" in challenge["Location"]
    verified = verified_operator_client(desk.gaston, HOST_A)
    assert "Lefèvre" in verified.get(url).content.decode()
    with schema_context(community_a.schema_name):
        Proposal.objects.filter(pk=proposal.pk).update(
            answered_at=timezone.now() - timedelta(days=services.GP_IDENTITY_DAYS + 1)
        )
    later = verified.get(url).content.decode()
    assert "Lefèvre" not in later and "ne sont plus affichés" in later
    patient_mail = [m for m in mail.outbox if m.to == ["jeanne.lefevre@example.fr"]]
    assert len(patient_mail) == 1
    assert "Cabinet du Port" in patient_mail[0].body and "Gaston" in patient_mail[0].body
    letter = dora_client.get(reverse("access_care:request_letter", args=[request.pk]))
    assert letter.status_code == 200 and "Cabinet du Port" in letter.content.decode()


def test_a_gp_declines_and_the_request_goes_back_to_qualified(desk, community_a):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 2, SULLY)
        request = submit()
        proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
        services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=False)
        request.refresh_from_db()
        assert request.status == "qualified"
        assert GpCapacity.objects.get(gp=desk.gaston).taken == 0
        with pytest.raises(ValidationError):
            services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
        with pytest.raises(ValidationError):
            services.propose(actor=desk.dora, request=request, gp=desk.gaston)


def test_two_concurrent_accepts_never_overbook_the_last_place(world, django_db_blocker, settings):
    """Real threads, each on its own connection to the real PostgreSQL, committed rows."""
    settings.HDS_HOSTING = True
    schema = world.a.schema_name
    with django_db_blocker.unblock():
        with schema_context(schema):
            desk = build_desk(schema)
            try:
                _declare(desk.gaston, 1, SULLY)
                proposals = []
                for name in ("Premier", "Second"):
                    request = submit(last_name=name)
                    proposals.append(services.propose(actor=desk.dora, request=request, gp=desk.gaston))
                barrier = threading.Barrier(2)
                outcomes: list[str] = []

                def accept(proposal):
                    try:
                        with schema_context(schema):
                            barrier.wait()
                            services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
                        outcomes.append("accepted")
                    except ValidationError as error:
                        outcomes.append(" ".join(error.messages))
                    finally:
                        connection.close()

                threads = [threading.Thread(target=accept, args=(p,)) for p in proposals]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(30)
                assert sorted(outcomes) == ["Vous n'avez plus de place déclarée ce trimestre.", "accepted"]
                capacity = GpCapacity.objects.get(gp=desk.gaston)
                assert (capacity.places, capacity.taken) == (1, 1)
                assert PatientRequest.objects.filter(status="accepted").count() == 1
            finally:
                _clean(schema)
        connection.set_schema_to_public()


def _clean(schema: str) -> None:
    emails = ["dora@test.fr", "tina.desk@test.fr", "gaston@test.fr", "ginette@test.fr"]
    with schema_context(schema):
        Proposal.objects.all().delete()
        StatusChange.objects.all().delete()
        PatientRequest.objects.all().delete()
        GpCapacity.objects.all().delete()
        DeskPermission.objects.all().delete()
        DeskSettings.objects.all().delete()
        TerritoryCommune.objects.all().delete()
        with connection.cursor() as cursor:
            # The access log refuses DELETE of recent rows: only a test's clean-up may empty it.
            cursor.execute("TRUNCATE access_care_accesslog")
        Membership.objects.filter(user__email__in=emails).delete()
    AccountCommunity.objects.filter(user__email__in=emails).delete()
    get_user_model().objects.filter(email__in=emails).delete()


# --- Retention -------------------------------------------------------------------------------------------


def test_anonymisation_runs_twice_and_acts_once_after_the_cpts_delay(desk, community_a):
    with schema_context(community_a.schema_name):
        old = submit(criteria=("ald",))
        recent = submit(last_name="Récent")
        still_open = submit(last_name="Ouvert")
        for request in (old, recent):
            services.change_status(actor=desk.dora, request=request, to_status="closed", close_reason="moved")
        PatientRequest.objects.filter(pk=old.pk).update(closed_at=timezone.now() - timedelta(days=200))
        PatientRequest.objects.filter(pk=still_open.pk).update(
            created_at=timezone.now() - timedelta(days=400)
        )
    first = apply_retention_task.apply(args=(community_a.schema_name,)).get()
    second = apply_retention_task.apply(args=(community_a.schema_name,)).get()
    assert (first, second) == (1, 0)
    with schema_context(community_a.schema_name):
        old.refresh_from_db()
        assert (old.last_name, old.birth_date_text, old.criteria_text, old.identity_index) == ("", "", "", "")
        assert old.anonymous_groups == ["ald", "elderly"]
        assert PatientRequest.objects.get(pk=recent.pk).last_name == "Récent"
        assert PatientRequest.objects.get(pk=still_open.pk).last_name == "Ouvert"
        assert AccessLog.objects.filter(action="anonymise").count() == 1


def test_a_person_gets_their_data_exported_or_erased(desk, community_a, dora_client):
    with schema_context(community_a.schema_name):
        request = submit()
    export = dora_client.get(reverse("access_care:request_export", args=[request.pk]))
    assert export.json()["nom"] == "Lefèvre"
    with schema_context(community_a.schema_name):
        (line,) = AuditEvent.objects.filter(action="desk.request_exported")
        assert line.actor_id == desk.dora.pk and line.details == {"request": request.pk}
    assert dora_client.post(reverse("access_care:request_erase", args=[request.pk])).status_code == 302
    with schema_context(community_a.schema_name):
        request.refresh_from_db()
        assert (request.last_name, request.status, request.close_reason) == ("", "closed", "withdrew")
        assert request.anonymised_at is not None


# --- Indicators ------------------------------------------------------------------------------------------


def test_indicators_are_computed_from_real_rows_and_reach_the_aci(desk, community_a):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 5, SULLY)
        ald_old = submit(criteria=("ald",))  # 70 and over too
        young = submit(last_name="Jeune", birth_date=date(1990, 2, 2), criteria=())
        c2s = submit(last_name="Solidaire", birth_date=date(1985, 3, 3), criteria=("c2s",))
        submit(last_name="Attente", birth_date=date(1980, 4, 4))
        for request, days in ((ald_old, 10), (young, 20), (c2s, 40)):
            PatientRequest.objects.filter(pk=request.pk).update(
                created_at=timezone.now() - timedelta(days=days)
            )
            proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
            services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
        # One found patient anonymised later still counts in its group.
        PatientRequest.objects.filter(pk=c2s.pk).update(closed_at=timezone.now() - timedelta(days=400))
        services.anonymise_due()
        today = timezone.localdate()
        start = today - timedelta(days=60)
        figures = {
            source: compute_value(source, start, today)
            for source in (
                Indicator.Source.ACCESS_REQUESTS,
                Indicator.Source.ACCESS_FOUND,
                Indicator.Source.ACCESS_FOUND_PRIORITY,
                Indicator.Source.ACCESS_FOUND_ALD,
                Indicator.Source.ACCESS_FOUND_ELDERLY,
                Indicator.Source.ACCESS_FOUND_C2S,
                Indicator.Source.ACCESS_MEDIAN_DAYS,
                Indicator.Source.ACCESS_PENDING,
            )
        }
    assert figures == {
        "access_requests": Decimal(4),
        "access_found": Decimal(3),
        "access_found_prio": Decimal(2),
        "access_found_ald": Decimal(1),
        "access_found_70": Decimal(1),
        "access_found_c2s": Decimal(1),
        "access_median_days": Decimal("20.0"),
        "access_pending": Decimal(1),
    }


# --- With a real worker ------------------------------------------------------------------------------------


@pytest.mark.worker
def test_a_real_worker_mails_the_gp_then_the_patient_and_the_team(
    real_worker, world, django_db_blocker, settings
):
    settings.HDS_HOSTING = True
    schema = world.a.schema_name
    with django_db_blocker.unblock():
        with schema_context(schema):
            desk = build_desk(schema)
            try:
                _declare(desk.gaston, 2, SULLY, practice_name="Cabinet du Port")
                request = submit()
                proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)

                def gp_told():
                    with schema_context(schema):
                        return Proposal.objects.filter(pk=proposal.pk, gp_notified_at__isnull=False).first()

                assert wait_until(gp_told, timeout=30), real_worker.log()
                client = verified_operator_client(desk.gaston, HOST_A)
                response = client.post(
                    reverse("access_care:gp_proposal", args=[proposal.pk]), {"answer": "accept"}
                )
                assert response.status_code == 302

                def patient_told():
                    with schema_context(schema):
                        done = PatientRequest.objects.filter(
                            pk=request.pk, patient_notified_at__isnull=False
                        ).exists()
                        team = Proposal.objects.filter(
                            pk=proposal.pk, team_notified_at__isnull=False
                        ).exists()
                        return done and team

                assert wait_until(patient_told, timeout=30), real_worker.log()
                # Retention through the worker, published twice: the request closed long ago is
                # anonymised once.
                PatientRequest.objects.filter(pk=request.pk).update(
                    closed_at=timezone.now() - timedelta(days=400)
                )
                apply_retention_task.delay(schema)
                apply_retention_task.delay(schema)

                def retention_ran_twice():
                    return (
                        real_worker.log().count("access_care.apply_retention") >= 4
                    )  # received + succeeded, x2

                assert wait_until(retention_ran_twice, timeout=30), real_worker.log()
                with schema_context(schema):
                    assert PatientRequest.objects.get(pk=request.pk).anonymised_at is not None
                    assert AccessLog.objects.filter(action="anonymise", request_id=request.pk).count() == 1
            finally:
                _clean(schema)
        connection.set_schema_to_public()
    mails = real_worker.sent_mails()
    to_gp = [m for m in mails if "To: gaston@test.fr" in m]
    to_patient = [m for m in mails if "To: jeanne.lefevre@example.fr" in m]
    to_team = [m for m in mails if "To: dora@test.fr" in m]
    assert len(to_gp) == 1 and "Lef" not in to_gp[0] and "Jeanne" not in to_gp[0]
    assert len(to_patient) == 1 and "Cabinet du Port" in to_patient[0]
    assert len(to_team) == 2  # the new request, then the GP's answer; no name in either
    assert all("Jeanne" not in m for m in to_team)
    assert "access_care.notify_gp" in real_worker.log()


def test_the_gp_mail_task_runs_twice_and_sends_once(desk, community_a, django_capture_on_commit_callbacks):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 2, SULLY)
        request = submit()
        with django_capture_on_commit_callbacks(execute=True):
            proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
    assert len([m for m in mail.outbox if m.to == ["gaston@test.fr"]]) == 1
    assert notify_gp_task.apply(args=(community_a.schema_name, proposal.pk)).get() == "skipped"
    assert len([m for m in mail.outbox if m.to == ["gaston@test.fr"]]) == 1


def test_the_annual_report_shows_the_desk_figures_as_aggregates(desk, community_a, alice):
    with schema_context(community_a.schema_name):
        _declare(desk.gaston, 2, SULLY)
        request = submit()
        proposal = services.propose(actor=desk.dora, request=request, gp=desk.gaston)
        services.answer_proposal(actor=desk.gaston, proposal=proposal, accept=True)
        aci_services.create_indicator(
            actor=alice,
            data={
                "label": "Patients ayant trouvé un médecin traitant",
                "mission": "access",
                "source": "access_found",
            },
        )
        year = timezone.localdate().year
        aci_services.refresh_computed_values(year=year)
        data = build_report_data(year, community=community_a)
        csv_text = render_csv(data).decode()
    [item] = [i for i in data.indicators if i.indicator.source == "access_found"]
    assert item.value == Decimal(1)
    assert "Patients ayant trouvé un médecin traitant" in csv_text
    assert "Lefèvre" not in csv_text and "Jeanne" not in csv_text
