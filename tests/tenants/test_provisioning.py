import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists
from rest_framework.authtoken.models import Token

from apps.members.models import Invitation
from tenants.models import Community, Domain
from tenants.provisioning import CommunityRequest, provision_community
from tests.conftest import HOST_A, PLATFORM_HOST


def counts():
    return Community.objects.count(), Domain.objects.count()


def test_provisioning_clones_the_template_and_invites_the_first_admin(
    operator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        community = provision_community(
            actor=operator,
            request=CommunityRequest(slug="cpts-du-lac", name="CPTS du Lac", admin_email="Coord@Lac.fr"),
        )
    assert community.status == Community.Status.ACTIVE
    assert schema_exists("cpts-du-lac")
    assert Domain.objects.get(tenant=community).domain == "cpts-du-lac.localhost"
    with schema_context("cpts-du-lac"):
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.role) == ("coord@lac.fr", "admin")
        assert invitation.sent_at is not None
    assert [m.to for m in mailoutbox] == [["coord@lac.fr"]]
    assert "http://cpts-du-lac.localhost/invitation/" in mailoutbox[0].body
    assert Client(HTTP_HOST="cpts-du-lac.localhost").get("/").status_code == 200


@pytest.mark.parametrize(
    ("slug", "name", "email", "field", "message"),
    [
        ("www", "CPTS", "a@b.fr", "slug", "est réservé"),
        ("api", "CPTS", "a@b.fr", "slug", "est réservé"),
        ("static", "CPTS", "a@b.fr", "slug", "est réservé"),
        ("Éole!", "CPTS", "a@b.fr", "slug", "lettres minuscules"),
        ("ab", "CPTS", "a@b.fr", "slug", "de 3 à 40 caractères"),
        ("fin-", "CPTS", "a@b.fr", "slug", "de 3 à 40 caractères"),
        ("alpha", "CPTS", "a@b.fr", "slug", "utilise déjà"),
        ("nouvelle", "", "a@b.fr", "name", "obligatoire"),
        ("nouvelle", "CPTS", "pas-un-email", "admin_email", "adresse e-mail valide"),
    ],
)
def test_bad_requests_get_a_french_error_and_create_nothing(operator, slug, name, email, field, message):
    before = counts()
    with pytest.raises(ValidationError) as error:
        provision_community(actor=operator, request=CommunityRequest(slug=slug, name=name, admin_email=email))
    assert message in " ".join(error.value.message_dict[field])
    assert counts() == before
    assert not schema_exists(slug) or slug == "alpha"


def test_a_duplicate_domain_is_refused(operator, community_a):
    Domain.objects.create(domain="prise.localhost", tenant=community_a, is_primary=False)
    with pytest.raises(ValidationError) as error:
        provision_community(
            actor=operator, request=CommunityRequest(slug="prise", name="X", admin_email="a@b.fr")
        )
    assert "déjà attribué" in error.value.message_dict["slug"][0]
    assert not schema_exists("prise")


def test_a_failure_half_way_leaves_no_schema_domain_or_row(world, django_db_blocker, monkeypatch):
    """Committed for real (no test transaction around it): the rollback is the service's own."""
    import apps.members.services

    def smtp_down(**_kwargs):
        raise RuntimeError("panne au moment d'inviter l'administrateur")

    monkeypatch.setattr(apps.members.services, "_create_invitation", smtp_down)
    with django_db_blocker.unblock():
        before = counts()
        with pytest.raises(RuntimeError):
            provision_community(
                actor=world.operator,
                request=CommunityRequest(slug="mi-chemin", name="X", admin_email="a@b.fr"),
            )
        connection.set_schema_to_public()
        assert counts() == before
        assert not schema_exists("mi-chemin")
        assert not Domain.objects.filter(domain="mi-chemin.localhost").exists()


def test_the_command_creates_a_community(operator, capsys):
    call_command("create_community", slug="val-vert", name="CPTS du Val Vert", admin_email="c@valvert.fr")
    assert "ouverte" in capsys.readouterr().out
    assert Community.objects.get(schema_name="val-vert").name == "CPTS du Val Vert"


def test_the_command_reports_errors_in_french(world, db):
    with pytest.raises(CommandError, match="est réservé"):
        call_command("create_community", slug="admin", name="X", admin_email="c@x.fr")


class TestOperatorConsole:
    def test_an_operator_creates_a_community_from_the_console(self, operator_client):
        client = operator_client
        response = client.post(
            "/console/", {"name": "CPTS des Collines", "slug": "collines", "admin_email": "a@collines.fr"}
        )
        assert response.status_code == 302
        assert Community.objects.filter(schema_name="collines", status="active").exists()

    def test_the_sub_domain_is_deduced_from_the_name_when_left_empty(self, operator_client):
        response = operator_client.post(
            "/console/", {"name": "CPTS Pays de Lorient–Quimperlé", "slug": "", "admin_email": "a@pl.fr"}
        )
        assert response.status_code == 302
        assert Community.objects.filter(schema_name="cpts-pays-de-lorientquimperle").exists()

    def test_a_deduced_sub_domain_already_taken_is_refused_under_the_field(self, operator_client):
        before = counts()
        response = operator_client.post("/console/", {"name": "Alpha", "slug": "", "admin_email": "a@b.fr"})
        assert response.status_code == 200
        assert "Une CPTS utilise déjà l&#x27;identifiant « alpha »." in response.content.decode()
        assert counts() == before

    def test_errors_are_shown_on_the_form_and_nothing_is_created(self, operator_client):
        before = counts()
        response = operator_client.post(
            "/console/", {"name": "X", "slug": "www", "admin_email": "pas-valide"}
        )
        assert response.status_code == 200
        assert "est réservé" in response.text
        assert counts() == before

    def test_a_plain_account_gets_403(self, alice, client_as):
        before = counts()
        client = client_as(alice, PLATFORM_HOST)
        assert client.get("/console/").status_code == 403
        assert (
            client.post("/console/", {"name": "X", "slug": "pirate", "admin_email": "a@b.fr"}).status_code
            == 403
        )
        assert counts() == before

    def test_anonymous_visitors_are_sent_to_login(self, world, db):
        response = Client(HTTP_HOST=PLATFORM_HOST).get("/console/")
        assert response.status_code == 302 and "/compte/connexion/" in response["Location"]

    def test_an_operator_session_from_a_cpts_host_is_not_valid_on_the_console(self, operator, client_as):
        client = client_as(operator, HOST_A)
        response = client.get("/console/", HTTP_HOST=PLATFORM_HOST)
        assert response.status_code == 302


class TestOperatorApi:
    def api(self, user):
        token, _ = Token.objects.get_or_create(user=user)
        return Client(HTTP_HOST=PLATFORM_HOST, HTTP_AUTHORIZATION=f"Token {token.key}")

    def test_an_operator_token_creates_a_community(self, operator):
        response = self.api(operator).post(
            "/api/v1/communities/",
            {"slug": "plaine", "name": "CPTS de la Plaine", "admin_email": "a@plaine.fr"},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["slug"] == "plaine"
        assert response.json()["url"] == "http://plaine.localhost/"
        assert schema_exists("plaine")

    def test_bad_input_is_a_400_with_reasons_and_creates_nothing(self, operator):
        before = counts()
        response = self.api(operator).post(
            "/api/v1/communities/",
            {"slug": "alpha", "name": "Doublon", "admin_email": "a@b.fr"},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert "utilise déjà" in response.json()["slug"][0]
        assert counts() == before

    def test_a_non_operator_token_gets_403(self, alice):
        before = counts()
        response = self.api(alice).post(
            "/api/v1/communities/",
            {"slug": "x-y-z", "name": "X", "admin_email": "a@b.fr"},
            content_type="application/json",
        )
        assert response.status_code == 403
        assert counts() == before

    def test_without_token_401(self, world, db):
        assert Client(HTTP_HOST=PLATFORM_HOST).get("/api/v1/communities/").status_code in (401, 403)

    def test_the_operator_lists_communities(self, operator):
        slugs = [c["slug"] for c in self.api(operator).get("/api/v1/communities/").json()["results"]]
        assert {"alpha", "beta"} <= set(slugs)
        assert "public" not in slugs


class TestConsoleActions:
    def test_an_operator_suspends_then_reactivates_a_cpts(self, operator_client, community_b):
        client = operator_client
        assert client.post("/console/cpts/beta/statut/", {"status": "suspended"}).status_code == 302
        assert Client(HTTP_HOST="beta.localhost").get("/").status_code == 503
        client.post("/console/cpts/beta/statut/", {"status": "active"})
        assert Client(HTTP_HOST="beta.localhost").get("/").status_code == 200

    def test_an_impossible_change_is_refused_in_french(self, operator_client, community_b):
        response = operator_client.post("/console/cpts/beta/statut/", {"status": "closed"}, follow=True)
        assert "pas possible pour cette CPTS" in response.text
        assert Community.objects.get(pk=community_b.pk).status == "active"

    def test_a_plain_account_cannot_change_a_status(self, alice, community_b, client_as):
        response = client_as(alice, PLATFORM_HOST).post("/console/cpts/beta/statut/", {"status": "suspended"})
        assert response.status_code == 403
        assert Community.objects.get(pk=community_b.pk).status == "active"

    def test_an_operator_gets_an_api_token_that_works(self, operator, operator_client):
        client = operator_client
        client.post("/console/jeton/")
        key = Token.objects.get(user=operator).key
        assert key in client.get("/console/").text
        api = Client(HTTP_HOST=PLATFORM_HOST, HTTP_AUTHORIZATION=f"Token {key}")
        assert api.get("/api/v1/communities/").status_code == 200
        client.post("/console/jeton/")
        assert api.get("/api/v1/communities/").status_code in (401, 403)


class TestCustomDomains:
    def test_an_operator_adds_a_custom_domain_that_serves_the_cpts(self, operator_client, community_a):
        response = operator_client.post("/console/cpts/alpha/domaines/", {"domain": "WWW.CPTS-Alpha.fr"})
        assert response.status_code == 302
        domain = Domain.objects.get(domain="cpts-alpha.fr")
        assert (domain.tenant_id, domain.is_primary) == (community_a.pk, False)
        for host in ("www.cpts-alpha.fr", "cpts-alpha.fr"):
            page = Client(HTTP_HOST=host).get("/")
            assert page.status_code == 200 and "CPTS Alpha" in page.text

    @pytest.mark.parametrize(
        ("domain", "message"),
        [
            ("pas un domaine", "nom de domaine valide"),
            ("https://x.fr", "nom de domaine valide"),
            ("beta.localhost", "attribuées par la plateforme"),
            ("alpha.localhost", "attribuées par la plateforme"),
        ],
    )
    def test_bad_domains_are_refused_in_french_and_nothing_changes(
        self, operator_client, community_a, domain, message
    ):
        before = counts()
        response = operator_client.post("/console/cpts/alpha/domaines/", {"domain": domain}, follow=True)
        assert message in response.text
        assert counts() == before

    def test_a_domain_of_another_cpts_is_refused(self, operator_client, community_a, community_b):
        Domain.objects.create(domain="cpts-beta.fr", tenant=community_b, is_primary=False)
        response = operator_client.post(
            "/console/cpts/alpha/domaines/", {"domain": "www.cpts-beta.fr"}, follow=True
        )
        assert "déjà attribué" in response.text
        assert Domain.objects.get(domain="cpts-beta.fr").tenant_id == community_b.pk

    def test_removing_keeps_the_platform_subdomain(self, operator_client, community_a):
        extra = Domain.objects.create(domain="cpts-alpha.org", tenant=community_a, is_primary=False)
        primary = Domain.objects.get(tenant=community_a, is_primary=True)
        operator_client.post("/console/cpts/alpha/domaines/", {"remove": str(primary.pk)})
        operator_client.post("/console/cpts/alpha/domaines/", {"remove": str(extra.pk)})
        assert list(Domain.objects.filter(tenant=community_a).values_list("domain", flat=True)) == [
            "alpha.localhost"
        ]

    def test_a_plain_account_cannot_add_a_domain(self, alice, community_a, client_as):
        before = counts()
        response = client_as(alice, PLATFORM_HOST).post(
            "/console/cpts/alpha/domaines/", {"domain": "pirate.fr"}
        )
        assert response.status_code == 403
        assert counts() == before
