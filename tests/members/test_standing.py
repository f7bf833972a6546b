"""« Membre à jour »: every members-only page, API route and file, walked from the URLconf and the
API router, as a candidate (joined, never paid), a lapsed member, and members à jour (paid this
year, last year's dues in the grace period before the lapse, an offline payment, a free tier,
granted by the team without dues)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.aci import services as aci_services
from apps.directory.models import Entry, Visibility
from apps.dues import services as dues_services
from apps.dues.calendar import paris_today
from apps.dues.models import Dues, DuesSettings, Tier
from apps.dues.renewals import lapse_past_years
from apps.events.models import Event, Registration
from apps.members.models import Membership, Role
from apps.members.permissions import HasCommunityRole
from apps.members.services import accept_invitation, invite
from apps.members.standing import Standing, standing_of
from apps.working_groups import services as group_services
from apps.working_groups.models import Meeting
from cpts_platform.api_tenant import router
from tests.conftest import HOST_A, PASSWORD

FRENCH_REFUSAL = "réservé aux membres à jour de leur cotisation"


@dataclass
class Content:
    event: int
    group: int
    meeting: int
    document: int
    indicator: int
    evidence: int
    entry: int
    hidden_entry: int


@pytest.fixture
def content(world, db, alice) -> Content:
    """One of each members-only thing in A, created by its team."""
    with schema_context("alpha"):
        start = timezone.now() + timedelta(days=10)
        event = Event.objects.create(
            title="Soirée réservée",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            visibility=Event.Visibility.MEMBERS,
            capacity=20,
        )
        group = group_services.create_group(
            actor=alice, data={"name": "Parcours BPCO", "lead": alice}, member_ids=[alice.pk]
        )
        meeting = Meeting.objects.create(group=group, starts_at=timezone.now())
        document = group_services.add_document(
            actor=alice, group=group, title="Protocole", file=ContentFile(b"%PDF-1.4 x", name="p.pdf")
        )
        indicator = aci_services.create_indicator(actor=alice, data={"label": "Protocoles"})
        evidence = aci_services.attach_evidence(
            actor=alice, indicator=indicator, title="Compte rendu", file=ContentFile(b"cr", name="cr.pdf")
        )
        entry = Entry.objects.create(
            kind="place",
            name="Cabinet des Tilleuls",
            members_note="Code porte 1234",
            visibility=Visibility.PUBLIC,
        )
        hidden_entry = Entry.objects.create(
            kind="place", name="Maison de garde", visibility=Visibility.MEMBERS
        )
    return Content(
        event.pk, group.pk, meeting.pk, document.pk, indicator.pk, evidence.pk, entry.pk, hidden_entry.pk
    )


def _account(email: str):
    return get_user_model().objects.create_user(email, PASSWORD, first_name="Prénom", last_name="Nom")


def _tier(price: str = "5.00") -> Tier:
    return Tier.objects.create(name=f"Formule {price}", price=Decimal(price))


def _join(user, *, year: int, tier: Tier | None = None) -> Dues:
    return dues_services.join(
        actor=user, tier=tier or _tier(), eligibility_category="liberal", consent=True, year=year
    )


def make_persona(kind: str, charlie, alice):
    """An account of A in the given situation, built through the project's own services."""
    year = paris_today().year
    with schema_context("alpha"):
        if kind == "candidate":
            user = _account("candidat@test.fr")
            _join(user, year=year)  # fills the join form, never pays
        elif kind == "candidate_from_b":
            user = charlie  # a member of B joins A without paying
            _join(user, year=year)
        elif kind == "lapsed":
            user = _account("echu@test.fr")
            dues_services.record_offline_payment(
                actor=alice, dues=_join(user, year=year - 1), method="cheque"
            )
            lapse_past_years(paris_today())
        elif kind == "paid_offline":
            user = _account("cheque@test.fr")
            dues_services.record_offline_payment(actor=alice, dues=_join(user, year=year), method="cheque")
        elif kind == "grace":
            # Paid last year; the year-end run has not lapsed it yet.
            user = _account("grace@test.fr")
            dues_services.record_offline_payment(
                actor=alice, dues=_join(user, year=year - 1), method="transfer"
            )
        elif kind == "free_tier":
            user = _account("gratuit@test.fr")
            _join(user, year=year, tier=_tier("0"))
        elif kind == "invited":
            user = _account("invite@test.fr")
            invitation = invite(actor=alice, email=user.email, role=Role.MEMBER)
            accept_invitation(invitation=invitation, user=user)
        else:  # pragma: no cover
            raise AssertionError(kind)
    return user


REFUSED = ["candidate", "candidate_from_b", "lapsed"]
GOOD = ["paid_offline", "grace", "free_tier", "invited"]


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from _walk(pattern.url_patterns, prefix + namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name, pattern.callback


def members_only_page_names() -> set[str]:
    """Every page of a CPTS host whose view requires the member role without letting candidates
    in (``role_required``), read from the URLconf: a new members-only page joins this test."""
    return {
        name
        for name, view in _walk(get_resolver("cpts_platform.urls_tenant").url_patterns)
        if getattr(view, "required_role", None) == Role.MEMBER and not view.candidates_allowed
    }


def members_only_api_prefixes() -> set[str]:
    """Router prefixes whose reads need a member (HasCommunityRole) and do not let candidates in."""
    return {
        prefix
        for prefix, viewset, _basename in router.registry
        if any(issubclass(p, HasCommunityRole) for p in viewset.permission_classes)
        and getattr(viewset, "required_role", Role.MEMBER) == Role.MEMBER
        and not getattr(viewset, "candidates_allowed", False)
    }


def page_urls(c: Content) -> dict[str, str]:
    """A URL for each members-only page (kwargs filled from ``content``), plus the object-level
    members-only pages (a members-only event)."""
    g = c.group
    return {
        "directory:claim": f"/annuaire/{c.entry}/revendiquer/",
        "directory:edit_own": f"/annuaire/{c.entry}/ma-fiche/",
        "events:personal_feed_link": "/evenements/agenda/",
        "health_projects:full": "/projet-de-sante/complet/",
        "working_groups:list": "/groupes-de-travail/",
        "working_groups:detail": f"/groupes-de-travail/{g}/",
        "working_groups:join": f"/groupes-de-travail/{g}/rejoindre/",
        "working_groups:leave": f"/groupes-de-travail/{g}/quitter/",
        "working_groups:meeting_create": f"/groupes-de-travail/{g}/reunions/nouvelle/",
        "working_groups:meeting": f"/groupes-de-travail/{g}/reunions/{c.meeting}/",
        "working_groups:meeting_cancel": f"/groupes-de-travail/{g}/reunions/{c.meeting}/annuler/",
        "working_groups:document_upload": f"/groupes-de-travail/{g}/documents/",
        "working_groups:document": f"/groupes-de-travail/{g}/documents/{c.document}/",
        "aci:indicators": "/aci/indicateurs/",
        "aci:indicator": f"/aci/indicateurs/{c.indicator}/",
        "aci:evidence": f"/aci/indicateurs/{c.indicator}/justificatifs/{c.evidence}/",
        "events:detail": f"/evenements/{c.event}/",
        "events:ics": f"/evenements/{c.event}.ics",
        "directory:entry": f"/annuaire/{c.hidden_entry}/",
        "roster:my_slots": "/snp/mes-creneaux/",
        "roster:slot_delete": "/snp/mes-creneaux/1/supprimer/",
        "roster:gap_preference": "/snp/mes-creneaux/sollicitations/",
        "access_care:gp_space": "/mon-espace/medecin-traitant/",
        "access_care:gp_proposal": "/mon-espace/medecin-traitant/propositions/999999/",
    }


# Pages that only take POST (asked with POST: the refusal must come before anything is done).
POST_ONLY = {
    "directory:claim", "events:personal_feed_link", "working_groups:join", "working_groups:leave",
    "working_groups:document_upload", "working_groups:meeting_cancel", "roster:slot_delete",
    "roster:gap_preference",
}  # fmt: skip

# Pages a member à jour (not leading the group, not in the team) reads with a 200.
READ_BY_MEMBERS = {
    "health_projects:full", "working_groups:list", "working_groups:detail", "working_groups:meeting",
    "working_groups:document", "aci:indicators", "aci:indicator", "aci:evidence", "events:detail", "events:ics",
    "directory:entry", "roster:my_slots",
}  # fmt: skip


def api_urls(c: Content) -> dict[str, list[str]]:
    return {
        "health-project/versions": ["/api/v1/health-project/versions/"],
        "health-project/actions": ["/api/v1/health-project/actions/"],
        "indicators": ["/api/v1/indicators/", f"/api/v1/indicators/{c.indicator}/"],
        # Events list public ones to everyone with a role; a members-only event is refused.
        "events": [f"/api/v1/events/{c.event}/"],
        # The directory is public; a members-only entry is refused.
        "directory": [f"/api/v1/directory/{c.hidden_entry}/"],
    }


def test_the_walk_covers_every_members_only_page_and_api_route(content):
    assert members_only_page_names() <= set(page_urls(content)), "a members-only page is not walked"
    assert members_only_api_prefixes() <= set(api_urls(content)), "a members-only API route is not walked"


@pytest.mark.parametrize("kind", REFUSED)
def test_candidates_and_lapsed_members_get_403_with_the_reason_and_the_pay_link(
    kind, content, client_as, alice, charlie
):
    user = make_persona(kind, charlie, alice)
    with schema_context("alpha"):
        membership = Membership.objects.get(user=user)
        expected = Standing.LAPSED if kind == "lapsed" else Standing.CANDIDATE
        assert standing_of(membership) == expected
        pending = Dues.objects.filter(membership=membership, status=Dues.Status.PENDING).first()
    pay_link = f"/cotisation/{pending.pk}/paiement/" if pending else "/adhesion/renouveler/"
    client = client_as(user, HOST_A)
    for name, url in page_urls(content).items():
        response = client.post(url) if name in POST_ONLY else client.get(url)
        assert response.status_code == 403, (name, response.status_code)
        assert FRENCH_REFUSAL in response.text and f'href="{pay_link}"' in response.text, name
        assert "Protocole" not in response.text and "Soirée réservée" not in response.text
    for name, urls in api_urls(content).items():
        for url in urls:
            response = client.get(url)
            assert response.status_code == 403, (url, response.status_code)
            body = response.json()
            assert FRENCH_REFUSAL in body["detail"] and body["pay_url"] == pay_link, name
            assert body["standing"] == str(expected)
    # Nor through the lists, the register button or the members-only directory fields.
    assert "Soirée réservée" not in client.get("/evenements/").text
    assert all(e["id"] != content.event for e in client.get("/api/v1/events/").json()["results"])
    assert client.post(f"/evenements/{content.event}/inscription/").status_code == 403
    assert "Code porte 1234" not in client.get(f"/annuaire/{content.entry}/").text
    assert "members_note" not in client.get(f"/api/v1/directory/{content.entry}/").json()
    with schema_context("alpha"):
        assert not Registration.objects.filter(event_id=content.event).exists()
    # Their own space stays open: that is where they pay.
    space = client.get("/mon-espace/")
    assert space.status_code == 200
    assert client.get("/api/v1/me").json()["standing"] == str(expected)


@pytest.mark.parametrize("kind", GOOD)
def test_members_a_jour_reach_every_members_only_page_and_api_route(kind, content, client_as, alice, charlie):
    user = make_persona(kind, charlie, alice)
    with schema_context("alpha"):
        assert standing_of(Membership.objects.get(user=user)) == Standing.GOOD
    client = client_as(user, HOST_A)
    for name, url in page_urls(content).items():
        response = client.post(url) if name in POST_ONLY else client.get(url)
        assert response.status_code not in (403, 404) or FRENCH_REFUSAL not in response.text, name
        if name in READ_BY_MEMBERS:
            assert response.status_code == 200, (name, response.status_code)
    for urls in api_urls(content).values():
        for url in urls:
            assert client.get(url).status_code == 200, url
    assert "Soirée réservée" in client.get("/evenements/").text
    assert "Code porte 1234" in client.get(f"/annuaire/{content.entry}/").text
    assert client.get(f"/api/v1/directory/{content.entry}/").json()["members_note"] == "Code porte 1234"
    assert client.post(f"/evenements/{content.event}/inscription/").status_code == 302
    with schema_context("alpha"):
        assert Registration.objects.filter(event_id=content.event, user=user).exists()


def test_paying_turns_a_candidate_into_a_member_a_jour_and_the_lapse_ends_the_grace(
    world, db, alice, client_as
):
    year = paris_today().year
    with schema_context("alpha"):
        user = _account("parcours@test.fr")
        dues = _join(user, year=year)
        membership = Membership.objects.get(user=user)
        assert standing_of(membership) == Standing.CANDIDATE
        dues_services.record_offline_payment(actor=alice, dues=dues, method="cash")
        assert standing_of(Membership.objects.get(user=user)) == Standing.GOOD
        # Next year: last year's dues keep the member à jour until the year-end run lapses them.
        Dues.objects.filter(pk=dues.pk).update(year=year - 1)
        assert standing_of(Membership.objects.get(user=user)) == Standing.GOOD
        lapse_past_years(paris_today())
        assert standing_of(Membership.objects.get(user=user)) == Standing.LAPSED


def test_the_team_keeps_access_without_dues(content, client_as, alice):
    client = client_as(alice, HOST_A)
    for name in READ_BY_MEMBERS:
        assert client.get(page_urls(content)[name]).status_code == 200, name


def test_the_browsable_api_shows_the_refusal_and_lets_members_read(content, client_as, alice, bob, charlie):
    """The browsable API checks permissions again for the forms it draws (PATCH needs the team):
    a plain member reads the page, a candidate reads the French refusal, not a bare 403."""
    url = f"/api/v1/events/{content.event}/"
    assert client_as(bob, HOST_A).get(url, HTTP_ACCEPT="text/html").status_code == 200
    candidate = client_as(make_persona("candidate", charlie, alice), HOST_A)
    page = candidate.get(url, HTTP_ACCEPT="text/html")
    assert page.status_code == 403 and FRENCH_REFUSAL in page.text


def test_a_grace_period_keeps_last_years_members_a_jour_until_it_ends(world, db, alice, client_as):
    year = paris_today().year
    with schema_context("alpha"):
        settings_row = DuesSettings.load()
        settings_row.grace_days = 31
        settings_row.save(update_fields=["grace_days"])
        user = _account("grace31@test.fr")
        dues_services.record_offline_payment(actor=alice, dues=_join(user, year=year - 1), method="cheque")
        # The daily run of 15 January lapses nothing: still in the grace period.
        assert lapse_past_years(date(year, 1, 15)) == 0
        assert standing_of(Membership.objects.get(user=user)) == Standing.GOOD
    assert client_as(user, HOST_A).get("/groupes-de-travail/").status_code == 200
    with schema_context("alpha"):
        # The run of 1 February (31 days after 1 January) lapses last year.
        assert lapse_past_years(date(year, 2, 1)) == 1
        assert standing_of(Membership.objects.get(user=user)) == Standing.LAPSED
    assert client_as(user, HOST_A).get("/groupes-de-travail/").status_code == 403


def test_the_team_sets_the_grace_period_in_the_dues_settings(world, db, alice, client_as):
    client = client_as(alice, HOST_A)
    page = client.get("/equipe/cotisations/reglages/")
    assert "Délai de grâce (jours après le 1er janvier)" in page.text
    data = {"vat_mention": "TVA non applicable", "platform_fee_percent": "0", "grace_days": "400"}
    refused = client.post("/equipe/cotisations/reglages/", data)
    assert refused.status_code in (200, 400) and "inférieure ou égale à 180" in refused.text
    assert client.post("/equipe/cotisations/reglages/", {**data, "grace_days": "31"}).status_code == 302
    with schema_context("alpha"):
        assert DuesSettings.load().grace_days == 31
