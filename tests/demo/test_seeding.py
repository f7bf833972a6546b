"""`manage.py seed_demo`: two demo CPTS with a living content, created once."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.access_care.models import PatientRequest
from apps.demo import content
from apps.demo.seeding import DEMO_COMMUNITIES
from tenants.models import Community

SLUGS = [request.slug for request in DEMO_COMMUNITIES]


def content_counts(slug: str) -> dict[str, int]:
    from apps.aci.models import AciPayment, Contract, FundingLine, Spending
    from apps.campaigns.models import Campaign, Recipient
    from apps.directory.models import Entry, Place
    from apps.dues.models import Dues
    from apps.events.models import Event, Registration
    from apps.health_projects.models import Action, Axis, ProjectVersion
    from apps.members.models import Membership
    from apps.payments.models import Payment as DuesPayment
    from apps.site.models import EmergencyNumber, NewsItem
    from apps.territory.models import TerritoryCommune
    from apps.working_groups.models import Attendance, Meeting, WorkingGroup

    models = [
        TerritoryCommune, Entry, Place, NewsItem, EmergencyNumber, Event, Registration, ProjectVersion,
        Axis, Action, Contract, FundingLine, AciPayment, Spending, WorkingGroup, Meeting, Attendance,
        Dues, DuesPayment, Membership, Campaign, Recipient,
    ]  # fmt: skip
    with schema_context(slug):
        return {f"{m._meta.label}": m.objects.count() for m in models}


def assert_plausible_desk_requests() -> None:
    """A seeded request's criteria fit the person's age: no pregnant child, « 70 ans et plus » only
    from 70."""
    today = timezone.localdate()
    seen = 0
    for slug in SLUGS:
        with schema_context(slug):
            for request in PatientRequest.objects.all():
                age = request.age_on(today)
                if age is None:  # anonymised
                    continue
                assert "pregnancy" not in request.criteria or 18 <= age <= 45, (age, request.criteria)
                assert "elderly" not in request.groups(today) or age >= 70, (age, request.criteria)
                seen += 1
    assert seen >= 20


def test_seed_demo_fills_both_cpts_once(world, db, client_as):
    from apps.dues.models import Dues
    from apps.events.models import Event, Registration
    from apps.health_projects.models import ProjectVersion
    from apps.members.models import Membership
    from apps.professionals.models import ProfessionalProfile
    from apps.roster.models import RosterProfile, Slot
    from apps.territory.selectors import get_home_counters

    output = io.StringIO()
    with override_settings(
        MAIL_CATCHER_URL="http://127.0.0.1:8025/",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        HDS_HOSTING=True,
    ):
        call_command("seed_demo", "--port", "8055", stdout=output)
    assert (
        "Boîte de réception locale (tous les e-mails envoyés) : http://127.0.0.1:8025/" in output.getvalue()
    )
    assert str(settings.EMAIL_FILE_PATH) not in output.getvalue()
    assert_plausible_desk_requests()
    assert set(Community.objects.filter(schema_name__in=SLUGS).values_list("schema_name", flat=True)) == set(
        SLUGS
    )
    for slug in SLUGS:
        counts = content_counts(slug)
        assert counts["territory.TerritoryCommune"] == len(content.COMMUNES[slug])
        assert counts["directory.Entry"] >= 40 and counts["directory.Place"] == counts["directory.Entry"]
        assert counts["site.NewsItem"] >= 3 and counts["site.EmergencyNumber"] > 0
        assert counts["health_projects.Action"] == 8 and counts["aci.Spending"] == len(content.SPENDINGS)
        assert counts["aci.FundingLine"] > 0 and counts["aci.AciPayment"] == 1
        assert counts["working_groups.Meeting"] == 2 and counts["working_groups.Attendance"] > 0
        with schema_context(slug):
            home = get_home_counters()
            assert home.communes == len(content.COMMUNES[slug])
            assert home.inhabitants > 15000 and home.professionals >= 40
            assert ProjectVersion.objects.get().status == "validated"
            assert sorted(ProjectVersion.objects.get().axes.values_list("mission", flat=True)) == sorted(
                ["access", "pathways", "prevention", "crisis"]
            )
            upcoming = Event.objects.filter(starts_at__gt=timezone.now(), price=0)
            assert upcoming.count() == 4
            # With localstripe (as in `make run`), one paid event open for registration.
            paid = Event.objects.get(price__gt=0)
            assert paid.title == content.PAID_EVENT[slug][0] and not paid.registrations.exists()
            full = [e for e in upcoming if e.registrations.filter(status="waitlisted").count() == 2]
            assert len(full) == 1
            assert full[0].registrations.filter(status="confirmed").count() == full[0].capacity
            past = Event.objects.exclude(pk__in=upcoming).exclude(pk=paid.pk).get()
            assert Registration.objects.filter(event=past, attended=True).count() == 7
            members = Membership.objects.filter(is_active=True).count()
            year = Dues.objects.order_by("-year").values_list("year", flat=True).first()
            assert Dues.objects.filter(year=year, status="active").count() == members - 1
            member_ids = Membership.objects.filter(is_active=True).values_list("user_id", flat=True)
            assert ProfessionalProfile.objects.filter(user_id__in=list(member_ids)).count() == members
            lapsed = Membership.objects.get(user__email=content.LAPSED_MEMBER[slug])
            assert list(lapsed.dues.values_list("year", "status")) == [(year - 1, "expired")]
            # A week of soins non programmés with gaps to see, and volunteers to ask.
            assert (
                Slot.objects.filter(kind="snp").count() == 5
                and Slot.objects.filter(kind="on_call").count() == 1
            )
            assert RosterProfile.objects.filter(accepts_gap_requests=True).count() == 2

    admin = get_user_model().objects.get(email="coordination@val-de-morelle.test")
    client = client_as(admin, "val-de-morelle.localhost")
    assert "Sully-sur-Loire" in client.get("/annuaire/").text
    events_page = client.get("/evenements/").text
    assert "Formation : plaies chroniques" in events_page and "Formation AFGSU 2" in events_page
    assert "Vieillir chez soi en sécurité" in client.get("/projet-de-sante/").text
    assert "Permanence téléphonique de soins non programmés" in client.get("/projet-de-sante/complet/").text
    assert "Maison médicale de garde" in client.get("/equipe/snp/").text
    # A sent campaign with its figures from real rows, and a draft.
    campaigns = client.get("/equipe/campagnes/").text
    assert (
        "Compte rendu de l'assemblée générale" in campaigns or "Compte rendu de l&#x27;assemblée" in campaigns
    )
    assert "Soirée de formation : insuffisance cardiaque" in campaigns
    with schema_context("val-de-morelle"):
        from apps.campaigns import selectors as campaign_selectors
        from apps.campaigns.models import Campaign

        sent = Campaign.objects.get(status="sent")
        progress = campaign_selectors.progress(sent)
        assert progress.sent == sent.recipients_total > 3
        assert (progress.bounced, progress.unsubscribed, progress.delivered) == (1, 1, progress.sent - 1)
        assert Campaign.objects.filter(status="draft").count() == 1

    before = {slug: content_counts(slug) for slug in SLUGS}
    public_before = (get_user_model().objects.count(), ProfessionalProfile.objects.count())
    call_command("seed_demo", "--port", "8055")
    assert {slug: content_counts(slug) for slug in SLUGS} == before
    assert (get_user_model().objects.count(), ProfessionalProfile.objects.count()) == public_before


def test_the_demo_login_list_names_roles_in_french():
    from apps.demo.seeding import DEMO_PEOPLE, describe_roles

    lines = {person.email: describe_roles(person) for person in DEMO_PEOPLE}
    assert lines["coordination@val-de-morelle.test"] == "administrateur de la CPTS du Val de Morelle"
    assert lines["ide.moreau@exemple.test"] == (
        "adhérent de la CPTS du Val de Morelle, membre de l'équipe de la CPTS des Trois Rivières"
    )
    for text in lines.values():
        assert " admin " not in f" {text} " and " team " not in f" {text} " and "member" not in text
