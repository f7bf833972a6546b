"""The team's campaign pages: compose with a live count, preview, test send, send now, progress;
isolation (another CPTS's team: 404, its audiences not countable) and roles (a member: 403)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context, tenant_context

from apps.campaigns import services
from apps.campaigns.models import Campaign
from apps.campaigns.segments import Audience
from tests.conftest import HOST_A, HOST_B

from .conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign_a(community_a, alice):
    with tenant_context(community_a):
        return services.save_campaign(
            actor=alice, campaign=None, data={"subject": "Lettre de mai", "body": "Bonjour à tous"},
            audience=Audience(standing="good"),
        )  # fmt: skip


@pytest.fixture
def team_b(community_b):
    return make_member(community_b.schema_name, "team-b@test.fr", role="team")


def test_the_team_composes_counts_previews_and_sends(
    community_a, alice, bob, client_as, smtp_sink, django_capture_on_commit_callbacks
):
    client = client_as(alice, HOST_A)
    page = client.get("/equipe/campagnes/nouvelle/")
    assert page.status_code == 200
    assert "2 destinataires" in page.content.decode()  # alice and bob

    count = client.get("/equipe/campagnes/destinataires.json", {"a-source": "members", "a-standing": "good"})
    assert count.json()["count"] == 2
    bad = client.get("/equipe/campagnes/destinataires.json", {"a-source": "nowhere"})
    assert bad.status_code == 400 and "source" in bad.json()["errors"]

    response = client.post(
        "/equipe/campagnes/nouvelle/",
        {"a-source": "members", "a-standing": "good", "c-subject": "Assemblée", "c-body": "<p>Ordre du jour</p>",
         "c-sender_name": "", "c-reply_to": ""},
    )  # fmt: skip
    assert response.status_code == 302
    with tenant_context(community_a):
        campaign = Campaign.objects.get(subject="Assemblée")
    detail = client.get(f"/equipe/campagnes/{campaign.pk}/")
    assert "Ordre du jour" in detail.content.decode()
    assert "Envoyer maintenant à 2 personnes" in detail.content.decode()

    client.post(f"/equipe/campagnes/{campaign.pk}/test/")
    assert [m["Subject"] for m in smtp_sink.messages] == ["[TEST] Assemblée"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/equipe/campagnes/{campaign.pk}/envoyer/", {"when": "now"})
    progress = client.get(f"/equipe/campagnes/{campaign.pk}/progression.json").json()
    assert (progress["status"], progress["sent"], progress["total"], progress["percent"]) == (
        "sent",
        2,
        2,
        100,
    )
    assert len(smtp_sink.messages) == 3
    assert "Remis" in client.get(f"/equipe/campagnes/{campaign.pk}/").content.decode()


def test_a_form_error_is_shown_in_french_under_the_field(community_a, alice, client_as):
    response = client_as(alice, HOST_A).post(
        "/equipe/campagnes/nouvelle/",
        {"a-source": "members", "c-subject": "", "c-body": "x", "c-reply_to": "pas-une-adresse"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ce champ est obligatoire" in html
    assert "Saisissez une adresse e-mail valide" in html


def test_scheduling_in_the_past_is_refused_with_the_reason(community_a, alice, client_as, campaign_a):
    client = client_as(alice, HOST_A)
    response = client.post(
        f"/equipe/campagnes/{campaign_a.pk}/envoyer/",
        {"when": "later", "scheduled_at": "2001-01-01T10:00"},
        follow=True,
    )
    assert "Choisissez une date et une heure à venir" in response.content.decode()
    with tenant_context(community_a):
        campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.DRAFT


URLS = [
    ("get", "/equipe/campagnes/{pk}/"),
    ("get", "/equipe/campagnes/{pk}/modifier/"),
    ("get", "/equipe/campagnes/{pk}/progression.json"),
    ("post", "/equipe/campagnes/{pk}/test/"),
    ("post", "/equipe/campagnes/{pk}/envoyer/"),
    ("post", "/equipe/campagnes/{pk}/annuler/"),
]


def test_another_cpts_team_gets_404_and_changes_nothing(
    community_a, community_b, campaign_a, team_b, client_as, smtp_sink
):
    on_a = client_as(team_b, HOST_A)
    on_b = client_as(team_b, HOST_B)
    for method, url in URLS:
        assert getattr(on_a, method)(url.format(pk=campaign_a.pk)).status_code == 404, url
        # On its own host, A's campaign id is not one of B's campaigns.
        assert getattr(on_b, method)(url.format(pk=campaign_a.pk)).status_code == 404, url
    assert on_a.get("/equipe/campagnes/").status_code == 404
    assert on_a.get("/equipe/campagnes/destinataires.json").status_code == 404
    # Counting on its own host counts its own members only (charlie and itself).
    assert on_b.get("/equipe/campagnes/destinataires.json", {"a-source": "members"}).json()["count"] == 2
    assert "Lettre de mai" not in on_b.get("/equipe/campagnes/").content.decode()
    with tenant_context(community_a):
        campaign_a.refresh_from_db()
    assert campaign_a.status == Campaign.Status.DRAFT
    assert smtp_sink.messages == []


def test_a_member_gets_403_on_every_team_page(community_a, campaign_a, bob, client_as, smtp_sink):
    client = client_as(bob, HOST_A)
    for method, url in URLS:
        assert getattr(client, method)(url.format(pk=campaign_a.pk)).status_code == 403, url
    assert client.get("/equipe/campagnes/").status_code == 403
    assert client.get("/equipe/campagnes/nouvelle/").status_code == 403
    assert client.get("/equipe/campagnes/destinataires.json").status_code == 403
    with schema_context(community_a.schema_name):
        assert Campaign.objects.get(pk=campaign_a.pk).status == Campaign.Status.DRAFT
    assert smtp_sink.messages == []


def test_the_campaign_pages_are_in_the_back_office_layout(community_a, alice, client_as, campaign_a):
    client = client_as(alice, HOST_A)
    for path in (
        "/equipe/campagnes/",
        "/equipe/campagnes/nouvelle/",
        "/equipe/campagnes/expediteur/",
        f"/equipe/campagnes/{campaign_a.pk}/",
        f"/equipe/campagnes/{campaign_a.pk}/modifier/",
    ):
        html = client.get(path).text
        assert 'id="bo-sidebar"' in html and 'class="site-header"' not in html, path
        assert 'aria-current="page"' in html and "Campagnes d&#x27;e-mails" in html, path
