"""Event pages: visibility per CPTS and role, registration through the page, iCal, CSV export."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from icalendar import Calendar

from apps.events.models import Event, Registration
from tests.conftest import HOST_A, HOST_B


def make_event(**overrides) -> Event:
    start = timezone.now() + timedelta(days=10)
    fields = {
        "title": "Formation BPCO",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "visibility": Event.Visibility.MEMBERS,
        "capacity": 20,
        "location": "Salle des fêtes",
    }
    fields.update(overrides)
    with schema_context("alpha"):
        return Event.objects.create(**fields)


def test_charlie_gets_404_on_a_members_only_event_of_a_and_cannot_register(world, db, client_as, charlie):
    event = make_event()
    client = client_as(charlie, HOST_A)
    for url in (f"/evenements/{event.pk}/", f"/evenements/{event.pk}.ics"):
        assert client.get(url).status_code == 404
    assert client.post(f"/evenements/{event.pk}/inscription/").status_code == 404
    assert "Formation BPCO" not in client.get("/evenements/").text
    with schema_context("alpha"):
        assert not Registration.objects.filter(event=event).exists()


def test_charlie_signed_in_on_b_sees_nothing_of_a_on_b(world, db, client_as, charlie):
    event = make_event(visibility=Event.Visibility.PUBLIC, title="Soirée Alpha")
    response = client_as(charlie, HOST_B).get(f"/evenements/{event.pk}/")
    assert response.status_code == 404
    assert "Soirée Alpha" not in client_as(charlie, HOST_B).get("/evenements/").text


def test_an_anonymous_visitor_sees_public_events_and_is_sent_to_login_for_members_only_ones(world, db):
    public = make_event(visibility=Event.Visibility.PUBLIC, title="Assises du territoire")
    private = make_event(title="Réunion des membres")
    client = Client(HTTP_HOST=HOST_A)
    listing = client.get("/evenements/").text
    assert "Assises du territoire" in listing and "Réunion des membres" not in listing
    assert client.get(f"/evenements/{public.pk}/").status_code == 200
    hidden = client.get(f"/evenements/{private.pk}/")
    missing = client.get("/evenements/999999/")
    # Same answer whether it exists or not: nothing is revealed.
    assert hidden.status_code == missing.status_code == 302
    assert hidden["Location"].startswith("/compte/")


def test_bob_registers_from_the_page_then_joins_the_waiting_list_when_full(world, db, client_as, bob, alice):
    event = make_event(capacity=1)
    client_as(alice, HOST_A).post(f"/evenements/{event.pk}/inscription/")
    response = client_as(bob, HOST_A).post(f"/evenements/{event.pk}/inscription/", follow=True)
    assert "liste d'attente" in response.text
    with schema_context("alpha"):
        statuses = dict(Registration.objects.filter(event=event).values_list("user__email", "status"))
    assert statuses == {"alice@test.fr": "confirmed", "bob@test.fr": "waitlisted"}


def test_bob_gets_403_on_team_pages_and_changes_nothing(world, db, client_as, bob):
    event = make_event()
    client = client_as(bob, HOST_A)
    for url in ("/evenements/nouveau/", f"/evenements/{event.pk}/modifier/", f"/evenements/{event.pk}/inscrits/",
                f"/evenements/{event.pk}/inscrits.csv"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    assert client.post(f"/evenements/{event.pk}/modifier/", {"title": "Piraté"}).status_code == 403
    with schema_context("alpha"):
        event.refresh_from_db()
    assert event.title == "Formation BPCO"


def test_charlie_gets_404_on_team_pages_of_a(world, db, client_as, charlie):
    event = make_event()
    client = client_as(charlie, HOST_A)
    for url in ("/evenements/nouveau/", f"/evenements/{event.pk}/inscrits.csv"):
        assert client.get(url).status_code == 404, url


def test_the_team_creates_an_event_with_french_errors_on_bad_dates(world, db, client_as, alice):
    client = client_as(alice, HOST_A)
    data = {
        "title": "Soirée de rentrée",
        "kind": "evening",
        "starts_at": "2030-09-10T19:00",
        "ends_at": "2030-09-10T18:00",
        "visibility": "public",
        "status": "published",
        "capacity": "40",
        "registration_open": "on",
        "reminder_hours_before": "24",
    }
    bad = client.post("/evenements/nouveau/", data)
    assert bad.status_code == 200 and "La fin doit être postérieure au début." in bad.text
    data["ends_at"] = "2030-09-10T22:00"
    good = client.post("/evenements/nouveau/", data)
    with schema_context("alpha"):
        event = Event.objects.get(title="Soirée de rentrée")
    assert good.status_code == 302 and event.capacity == 40 and event.created_by == alice


def test_the_ical_feed_lists_public_events_only_and_each_event_has_an_ics(world, db):
    public = make_event(visibility=Event.Visibility.PUBLIC, title="Journée prévention")
    make_event(title="Bureau restreint")
    client = Client(HTTP_HOST=HOST_A)
    feed = client.get("/evenements/calendrier.ics")
    assert feed["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    summaries = [str(c.get("summary")) for c in calendar.walk("VEVENT")]
    assert summaries == ["Journée prévention"]
    single = Calendar.from_ical(client.get(f"/evenements/{public.pk}.ics").content)
    (vevent,) = single.walk("VEVENT")
    assert vevent.decoded("dtstart") == public.starts_at.replace(microsecond=0)
    assert str(vevent.get("location")) == "Salle des fêtes"
    assert str(vevent.get("uid")) == f"event-{public.pk}@alpha.cpts"


def test_attendance_is_recorded_and_exported_as_csv(world, db, client_as, alice, bob):
    from apps.events import services

    event = make_event()
    with schema_context("alpha"):
        services.register(actor=alice, event=event)
        services.register(actor=bob, event=event)
    client = client_as(alice, HOST_A)
    response = client.post(f"/evenements/{event.pk}/inscrits/", {"present": [str(bob.pk)]})
    assert response.status_code == 302
    export = client.get(f"/evenements/{event.pk}/inscrits.csv")
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Nom;Prénom;E-mail;Statut;Inscrit le;Présent"
    rows = {line.split(";")[2]: line.split(";") for line in lines[1:]}
    assert rows["bob@test.fr"][3:6:2] == ["Confirmée", "oui"]
    assert rows["alice@test.fr"][5] == "non"


def test_a_member_gets_a_personal_feed_with_members_only_events_and_can_revoke_it(world, db, bob, client_as):
    import re

    from apps.events import services
    from apps.members.models import Membership

    make_event(title="Bureau élargi")
    make_event(title="Soirée ouverte", visibility=Event.Visibility.PUBLIC)
    response = client_as(bob, HOST_A).post("/evenements/agenda/", follow=True)
    url = re.search(r"http://alpha\.localhost/evenements/agenda/([\w-]+)\.ics", response.text)
    assert url is not None
    feed = Client(HTTP_HOST=HOST_A).get(f"/evenements/agenda/{url.group(1)}.ics")
    summaries = sorted(str(c.get("summary")) for c in Calendar.from_ical(feed.content).walk("VEVENT"))
    assert summaries == ["Bureau élargi", "Soirée ouverte"]
    with schema_context("alpha"):
        services.issue_calendar_token(actor=bob)  # a new link revokes the old one
    assert Client(HTTP_HOST=HOST_A).get(f"/evenements/agenda/{url.group(1)}.ics").status_code == 404
    with schema_context("alpha"):
        token = services.issue_calendar_token(actor=bob)
        Membership.objects.filter(user=bob).update(is_active=False)
    assert Client(HTTP_HOST=HOST_A).get(f"/evenements/agenda/{token}.ics").status_code == 404


def test_a_personal_link_of_b_opens_nothing_on_a(world, db, charlie):
    from apps.events import services

    with schema_context("beta"):
        token = services.issue_calendar_token(actor=charlie)
    assert Client(HTTP_HOST=HOST_A).get(f"/evenements/agenda/{token}.ics").status_code == 404
    assert Client(HTTP_HOST=HOST_B).get(f"/evenements/agenda/{token}.ics").status_code == 200
