"""The soins-non-programmés roster: professionals declare slots, the team sees gaps per commune and
day and asks volunteers to fill them, the public sees today's points, a calendar feed and a FHIR
export per week, the ACI cockpit counts them; isolated per CPTS."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.aci.indicators import compute_value
from apps.aci.models import Indicator
from apps.geo.models import Commune
from apps.professionals.models import ProfessionalProfile
from apps.roster import selectors, services
from apps.roster.models import GapRequest, RosterProfile, Slot
from apps.territory.models import TerritoryCommune
from tests.conftest import HOST_A, HOST_B, wait_until
from workers.roster import send_gap_request_task

SAINT_ETIENNE, BESANCON, PARIS = "42218", "25056", "75056"


def _profile(user, profession="10"):
    ProfessionalProfile.objects.update_or_create(
        user=user,
        defaults={
            "profession": profession, "identifier_type": "none", "practice_mode": "L",
            "practice_place": "Cabinet", "commune": "Saint-Étienne",
        },
    )  # fmt: skip


def _territory(schema: str, codes=(SAINT_ETIENNE, BESANCON)) -> None:
    with schema_context(schema):
        TerritoryCommune.objects.all().delete()
        TerritoryCommune.objects.bulk_create(TerritoryCommune(commune_id=code) for code in codes)


def _slot(user, **values) -> Slot:
    defaults = {
        "place_name": "Maison de santé du Soleil", "address": "2 rue du Soleil",
        "commune": Commune.objects.get(code=SAINT_ETIENNE), "phone": "04 77 00 00 00",
        "weekday": 0, "starts_at": time(9), "ends_at": time(12), "valid_from": date(2026, 1, 1),
    }  # fmt: skip
    defaults.update(values)
    if defaults.get("date"):
        defaults["weekday"] = None
    return services.add_slot(actor=user, data=defaults)


@pytest.fixture
def roster_a(community_a, alice, bob):
    _profile(bob)
    _profile(alice)
    _territory(community_a.schema_name)
    return community_a


def test_a_member_declares_a_weekly_slot_from_the_member_space(roster_a, bob, client_as):
    client = client_as(bob, HOST_A)
    response = client.post(
        "/snp/mes-creneaux/",
        {
            "kind": "snp", "place": "practice", "place_name": "Cabinet des Tilleuls",
            "address": "3 place des Tilleuls", "commune": SAINT_ETIENNE, "phone": "04 77 11 22 33",
            "repeat": "weekly", "weekday": "2", "starts_at": "14:00", "ends_at": "18:00",
        },
    )  # fmt: skip
    assert response.status_code == 302
    with schema_context("alpha"):
        slot = Slot.objects.get(place_name="Cabinet des Tilleuls")
        assert slot.professional == bob and slot.weekday == 2 and slot.date is None
        assert RosterProfile.objects.filter(professional=bob).exists()
    page = client.get("/snp/mes-creneaux/").text
    assert "Chaque mercredi" in page and "14:00–18:00" in page and "/snp/agenda/" in page


def test_bad_slots_get_french_errors_under_their_field_and_nothing_is_saved(roster_a, bob, client_as):
    client = client_as(bob, HOST_A)
    base = {
        "kind": "snp", "place": "practice", "place_name": "Cabinet", "address": "1 rue",
        "phone": "04 77 11 22 33", "repeat": "weekly", "weekday": "1",
    }  # fmt: skip
    outside = client.post(
        "/snp/mes-creneaux/", {**base, "commune": PARIS, "starts_at": "09:00", "ends_at": "10:00"}
    )
    assert outside.status_code == 200
    assert "Sélectionnez un choix valide" in outside.text  # Paris is not offered: not on the territory
    backwards = client.post(
        "/snp/mes-creneaux/", {**base, "commune": SAINT_ETIENNE, "starts_at": "18:00", "ends_at": "09:00"}
    )
    assert "L&#x27;heure de fin doit suivre l&#x27;heure de début." in backwards.text
    once_without_date = client.post(
        "/snp/mes-creneaux/",
        {**base, "repeat": "once", "commune": SAINT_ETIENNE, "starts_at": "09:00", "ends_at": "10:00"},
    )
    assert "Indiquez la date du créneau." in once_without_date.text
    with schema_context("alpha"):
        assert not Slot.objects.exists()
        with pytest.raises(ValidationError) as refused:
            _slot(bob, commune=Commune.objects.get(code=PARIS))
        assert refused.value.message_dict["commune"] == [
            "Cette commune n'est pas sur le territoire de la CPTS."
        ]


def test_a_member_without_a_professional_profile_is_told_what_to_do(community_a, bob):
    ProfessionalProfile.objects.filter(user=bob).delete()
    _territory(community_a.schema_name)
    with schema_context("alpha"), pytest.raises(PermissionDenied) as refused:
        _slot(bob)
    assert "profil professionnel" in str(refused.value)


def test_the_week_grid_shows_coverage_and_gaps_per_commune_and_day(roster_a, alice, bob, client_as):
    monday = date(2026, 12, 7)
    with schema_context("alpha"):
        _slot(bob)  # every Monday, Saint-Étienne
        _slot(alice, commune=Commune.objects.get(code=BESANCON), date=monday + timedelta(days=2))
        _slot(bob, weekday=4, valid_until=date(2026, 12, 1))  # ended before the week
        grid = selectors.week_grid(monday)
    by_name = {row.commune.name: row for row in grid.rows}
    assert [bool(c.occurrences) for c in by_name["Saint-Étienne"].cells] == [True] + [False] * 6
    assert [bool(c.occurrences) for c in by_name["Besançon"].cells] == [False, False, True] + [False] * 4
    assert grid.slot_count == 2 and grid.gaps == 12
    page = client_as(alice, HOST_A).get("/equipe/snp/?semaine=2026-W50").text
    assert "12 jours sans couverture" in page and "Maison de santé du Soleil" in page


def test_volunteers_are_asked_once_to_fill_a_gap(roster_a, alice, bob, django_capture_on_commit_callbacks):
    day = timezone.localdate() + timedelta(days=3)
    with schema_context("alpha"):
        services.set_gap_requests(actor=bob, accepts=True)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.request_gap_fill(actor=alice, commune_code=BESANCON, day=day, message="Merci !")
        assert send_gap_request_task.apply(args=("alpha", GapRequest.objects.get().pk)).get() == 0
        with pytest.raises(ValidationError) as again:
            services.request_gap_fill(actor=alice, commune_code=BESANCON, day=day)
        assert "déjà été sollicités" in again.value.messages[0]
        with pytest.raises(PermissionDenied):
            services.request_gap_fill(actor=bob, commune_code=SAINT_ETIENNE, day=day)
    assert [m.to for m in mail.outbox] == [["bob@test.fr"]]
    assert (
        "Besançon" in mail.outbox[0].subject
        and "http://alpha.localhost/snp/mes-creneaux/" in mail.outbox[0].body
    )


def test_nobody_to_ask_is_said_and_nothing_is_recorded(roster_a, alice):
    with schema_context("alpha"), pytest.raises(ValidationError) as refused:
        services.request_gap_fill(
            actor=alice, commune_code=BESANCON, day=timezone.localdate() + timedelta(days=1)
        )
    assert "Aucun professionnel" in refused.value.messages[0]
    with schema_context("alpha"):
        assert not GapRequest.objects.exists()


def test_the_public_page_lists_today_and_this_week_without_names(roster_a, bob):
    today = timezone.localdate()
    with schema_context("alpha"):
        _slot(bob, date=today, starts_at=time(0, 0), ends_at=time(23, 59), place_name="Point SNP Centre")
        _slot(bob, date=today + timedelta(days=2), place_name="Point SNP Nord")
    page = Client(HTTP_HOST=HOST_A).get("/soins-non-programmes/").text
    today_part, week_part = page.split("Cette semaine")
    assert "Point SNP Centre" in today_part and "Point SNP Nord" in week_part
    assert "116 117" in page and 'href="tel:0477000000"' in page
    assert "Bob" not in page and "bob@test.fr" not in page


def test_each_professional_has_a_calendar_feed_behind_a_secret_address(roster_a, bob):
    with schema_context("alpha"):
        _slot(bob, valid_until=date(2027, 6, 30))
        _slot(bob, date=date(2026, 12, 24), place_name="Garde de Noël", kind="on_call")
        token = RosterProfile.objects.get(professional=bob).feed_token
    feed = Client(HTTP_HOST=HOST_A).get(f"/snp/agenda/{token}.ics")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert "RRULE:FREQ=WEEKLY;UNTIL=20270630" in body
    assert "SUMMARY:Garde ou astreinte – Garde de Noël" in body
    assert "BEGIN:VTIMEZONE" in body and "TZID=Europe/Paris" in body
    assert Client(HTTP_HOST=HOST_A).get("/snp/agenda/not-a-token.ics").status_code == 404
    assert Client(HTTP_HOST=HOST_B).get(f"/snp/agenda/{token}.ics").status_code == 404


def test_the_week_exports_as_fhir_schedules_and_slots(roster_a, alice, bob, client_as):
    with schema_context("alpha"):
        _slot(bob)
    response = client_as(alice, HOST_A).get("/equipe/snp/export.fhir.json?semaine=2026-W50")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    bundle = json.loads(response.content)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert bundle["resourceType"] == "Bundle" and kinds == ["Schedule", "Slot"]
    slot = bundle["entry"][1]["resource"]
    assert slot["start"] == "2026-12-07T09:00:00+01:00" and slot["end"] == "2026-12-07T12:00:00+01:00"
    assert slot["status"] == "free" and slot["schedule"]["reference"].startswith("Schedule/")


def test_the_aci_cockpit_counts_slots_offered_and_professionals(roster_a, alice, bob):
    with schema_context("alpha"):
        _slot(bob)  # Mondays
        _slot(alice, date=date(2026, 12, 9))
        # December 2026 has four Mondays (7, 14, 21, 28).
        december = (date(2026, 12, 1), date(2026, 12, 31))
        assert compute_value(Indicator.Source.SNP_SLOTS, *december) == Decimal(5)
        assert compute_value(Indicator.Source.SNP_PROFESSIONALS, *december) == Decimal(2)
        assert selectors.offered_counts(*december)["per_week"]["2026-W50"] == 2


def test_isolation_other_cpts_404_member_403_and_nothing_changes(roster_a, alice, bob, charlie, client_as):
    with schema_context("alpha"):
        slot = _slot(bob)
    outsider = client_as(charlie, HOST_A)
    for path in ("/snp/mes-creneaux/", "/equipe/snp/", "/equipe/snp/export.fhir.json"):
        assert outsider.get(path).status_code == 404, path
    assert outsider.post(f"/snp/mes-creneaux/{slot.pk}/supprimer/").status_code == 404
    assert (
        outsider.post("/equipe/snp/solliciter/", {"commune": BESANCON, "day": "2027-01-04"}).status_code
        == 404
    )
    member = client_as(bob, HOST_A)
    assert member.get("/equipe/snp/").status_code == 403
    assert member.get("/equipe/snp/export.fhir.json").status_code == 403
    assert (
        member.post("/equipe/snp/solliciter/", {"commune": BESANCON, "day": "2027-01-04"}).status_code == 403
    )
    # Someone else's slot is not found from one's own page.
    with schema_context("alpha"):
        other = _slot(alice, place_name="Cabinet d'Alice")
    assert member.post(f"/snp/mes-creneaux/{other.pk}/supprimer/").status_code == 404
    with schema_context("alpha"):
        assert Slot.objects.count() == 2 and not GapRequest.objects.exists()
    assert Client(HTTP_HOST=HOST_B).get("/soins-non-programmes/").status_code == 200
    assert "Maison de santé du Soleil" not in Client(HTTP_HOST=HOST_B).get("/soins-non-programmes/").text


@pytest.mark.worker
def test_a_real_worker_emails_the_volunteers(real_worker, world, django_db_blocker):
    day = timezone.localdate() + timedelta(days=5)
    with django_db_blocker.unblock():
        # Committed for the worker: put bob's profile back after, or later tests see a GP in him.
        before = ProfessionalProfile.objects.filter(user=world.bob).first()
        _profile(world.bob)
        with schema_context("alpha"):
            codes = list(TerritoryCommune.objects.values_list("commune_id", flat=True))
            _territory("alpha", (SAINT_ETIENNE, BESANCON))
            profile = services.set_gap_requests(actor=world.bob, accepts=True)
            try:
                gap = services.request_gap_fill(actor=world.alice, commune_code=SAINT_ETIENNE, day=day)

                def sent():
                    with schema_context("alpha"):
                        return not gap.recipients.filter(sent_at__isnull=True).exists()

                wait_until(sent, timeout=30)
            finally:
                with schema_context("alpha"):
                    GapRequest.objects.filter(pk=gap.pk).delete()
                    profile.delete()
                    _territory("alpha", codes)
                connection.set_schema_to_public()
                if before is None:
                    ProfessionalProfile.objects.filter(user=world.bob).delete()
                else:
                    before.save()
    mails = real_worker.sent_mails()
    assert len(mails) == 1, real_worker.log()
    assert "To: bob@test.fr" in mails[0]
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in mails[0]
    assert "roster.send_gap_request" in real_worker.log()
