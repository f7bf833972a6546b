"""API of events, projet de santé and indicators: in the OpenAPI schema, scoped per CPTS."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django_tenants.utils import schema_context

from apps.aci import services as aci_services
from apps.aci.models import Indicator, IndicatorValue
from apps.events.models import Event, Registration
from apps.health_projects import services as project_services
from apps.health_projects.models import Action
from tests.conftest import HOST_A

YEAR = timezone.localdate().year


def make_event(**overrides) -> Event:
    start = timezone.now() + timedelta(days=3)
    fields = {
        "title": "Formation API",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "capacity": 1,
    }
    fields.update(overrides)
    with schema_context("alpha"):
        return Event.objects.create(**fields)


def test_the_schema_lists_events_projet_and_indicators(world, db, alice, client_as):
    schema = client_as(alice, HOST_A).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in ("/api/v1/events/", "/api/v1/events/{id}/register/", "/api/v1/health-project/versions/",
                 "/api/v1/health-project/actions/{id}/", "/api/v1/indicators/", "/api/v1/indicators/{id}/values/"):  # fmt: skip
        assert path in paths, path


def test_members_register_through_the_api_and_the_second_waits(world, db, alice, bob, client_as):
    event = make_event()
    first = client_as(alice, HOST_A).post(f"/api/v1/events/{event.pk}/register/")
    second = client_as(bob, HOST_A).post(f"/api/v1/events/{event.pk}/register/")
    assert (first.status_code, first.json()["status"]) == (201, "confirmed")
    assert (second.status_code, second.json()["status"]) == (201, "waitlisted")
    cancel = client_as(alice, HOST_A).post(f"/api/v1/events/{event.pk}/cancel/")
    assert cancel.status_code == 200
    with schema_context("alpha"):
        assert Registration.objects.get(event=event, user=bob).status == "confirmed"


def test_charlie_gets_404_on_the_api_of_a_and_changes_nothing(world, db, alice, charlie, client_as):
    event = make_event(visibility="members")
    with schema_context("alpha"):
        indicator = aci_services.create_indicator(actor=alice, data={"label": "Protocoles"})
        project_services.create_version(actor=alice, title="Projet")
    client = client_as(charlie, HOST_A)
    for url in ("/api/v1/events/", f"/api/v1/events/{event.pk}/", "/api/v1/health-project/versions/",
                "/api/v1/health-project/actions/", "/api/v1/indicators/", f"/api/v1/indicators/{indicator.pk}/values/"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(f"/api/v1/events/{event.pk}/register/").status_code == 404
    value = {"period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-03-31", "value": "3"}
    assert (
        client.post(
            f"/api/v1/indicators/{indicator.pk}/values/", value, content_type="application/json"
        ).status_code
        == 404
    )
    with schema_context("alpha"):
        assert not Registration.objects.exists() and not IndicatorValue.objects.exists()


def test_bob_reads_but_gets_403_on_writes(world, db, alice, bob, client_as):
    with schema_context("alpha"):
        indicator = aci_services.create_indicator(actor=alice, data={"label": "Protocoles"})
        version = project_services.create_version(actor=alice, title="Projet")
        action = project_services.add_action(
            actor=alice, axis=version.axes.first(), data={"title": "Annuaire"}
        )
    client = client_as(bob, HOST_A)
    assert client.get("/api/v1/indicators/").status_code == 200
    assert client.post("/api/v1/events/", {"title": "X"}, content_type="application/json").status_code == 403
    assert (
        client.patch(
            f"/api/v1/health-project/actions/{action.pk}/",
            {"status": "done"},
            content_type="application/json",
        ).status_code
        == 403
    )
    value = {"period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-03-31", "value": "3"}
    assert (
        client.post(
            f"/api/v1/indicators/{indicator.pk}/values/", value, content_type="application/json"
        ).status_code
        == 403
    )
    with schema_context("alpha"):
        assert Action.objects.get(pk=action.pk).status == "planned"
        assert not IndicatorValue.objects.exists()


def test_the_team_records_values_and_reads_progress(world, db, alice, client_as):
    client = client_as(alice, HOST_A)
    created = client.post("/api/v1/indicators/", {"label": "Patients orientés", "nature": "result", "unit": "patients"},
                          content_type="application/json")  # fmt: skip
    assert created.status_code == 201
    pk = created.json()["id"]
    with schema_context("alpha"):
        aci_services.set_target(
            actor=alice, indicator=Indicator.objects.get(pk=pk), year=YEAR, target=Decimal(80)
        )
    bad = client.post(f"/api/v1/indicators/{pk}/values/", {"period_start": f"{YEAR}-03-31", "period_end": f"{YEAR}-01-01", "value": "3"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "period_end" in bad.json()
    good = client.post(f"/api/v1/indicators/{pk}/values/", {"period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-03-31", "value": "20"},
                       content_type="application/json")  # fmt: skip
    assert good.status_code == 201
    detail = client.get(f"/api/v1/indicators/{pk}/?year={YEAR}").json()
    assert (detail["year_value"], detail["year_target"], detail["progress"]) == ("20.00", "80.00", 0.25)
    patched = client.patch(
        "/api/v1/health-project/actions/999999/", {"status": "done"}, content_type="application/json"
    )
    assert patched.status_code == 404


def test_bad_event_input_gets_a_400_with_reasons(world, db, alice, client_as):
    client = client_as(alice, HOST_A)
    response = client.post(
        "/api/v1/events/",
        {
            "title": "Inversé",
            "starts_at": "2030-05-01T20:00:00+02:00",
            "ends_at": "2030-05-01T18:00:00+02:00",
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "ends_at" in response.json()
    created = client.post(
        "/api/v1/events/",
        {
            "title": "Assises",
            "starts_at": "2030-05-01T09:00:00+02:00",
            "ends_at": "2030-05-01T17:00:00+02:00",
            "capacity": 2,
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["capacity"] == 2
    with schema_context("alpha"):
        assert Event.objects.filter(title="Inversé").count() == 0
