"""The public site of a CPTS as a visitor sees it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.site.models import EmergencyNumber, FaqItem, Mission, NewsItem, Page, VisitorMessage
from tests.conftest import HOST_A, HOST_B, PLATFORM_HOST

PARIS = ZoneInfo("Europe/Paris")


def test_a_new_cpts_has_a_complete_default_site(community_a):
    with schema_context(community_a.schema_name):
        assert Mission.objects.count() == 4
        assert FaqItem.objects.filter(is_published=True).count() == 10
        assert set(Page.objects.filter(is_published=True).values_list("slug", flat=True)) == {
            "la-cpts",
            "mentions-legales",
            "donnees-personnelles",
        }
        national = set(EmergencyNumber.objects.filter(is_national=True).values_list("number", flat=True))
    assert national == {"15", "17", "18", "112", "114", "116 117", "3237", "3114", "3919", "119"}


def test_the_home_page_shows_the_cpts_its_missions_and_its_menu(community_a):
    response = Client(HTTP_HOST=HOST_A).get("/")
    assert response.status_code == 200
    html = response.text
    assert '<h1 id="titre-accueil">CPTS Alpha</h1>' in html
    for title in (
        "Faciliter l&#x27;exercice au quotidien",
        "Relier les professions",
        "Garantir l&#x27;accès aux soins",
    ):
        assert title in html
    assert 'href="/pages/la-cpts/"' in html and 'href="/pages/mentions-legales/"' in html
    # Drafts stay out of the menu.
    assert 'href="/pages/bureau/"' not in html
    assert "CPTS Bêta" not in html


def test_only_published_news_whose_date_has_come_are_public(community_a):
    now = timezone.now()
    with schema_context(community_a.schema_name):
        NewsItem.objects.create(
            title="Publiée", slug="publiee", status="published", publish_at=now - timedelta(hours=1)
        )
        NewsItem.objects.create(
            title="Brouillon", slug="brouillon", status="draft", publish_at=now - timedelta(hours=1)
        )
        NewsItem.objects.create(
            title="Programmée", slug="programmee", status="published", publish_at=now + timedelta(days=2)
        )
    client = Client(HTTP_HOST=HOST_A)
    home = client.get("/").text
    listing = client.get("/actualites/").text
    assert "Publiée" in home and "Publiée" in listing
    for hidden in ("Brouillon", "Programmée"):
        assert hidden not in home and hidden not in listing
    assert client.get("/actualites/publiee/").status_code == 200
    assert client.get("/actualites/brouillon/").status_code == 404
    assert client.get("/actualites/programmee/").status_code == 404


def test_a_news_item_has_french_dates_canonical_url_and_opengraph(community_a):
    with schema_context(community_a.schema_name):
        NewsItem.objects.create(
            title="Assises du soin non programmé",
            slug="assises-snp",
            summary="Une journée pour organiser les soins non programmés du territoire.",
            body="<p>Urgences, SAMU et libéraux autour de la table.</p>",
            status="published",
            publish_at=datetime(2026, 3, 5, 10, 0, tzinfo=PARIS),
        )
    response = Client(HTTP_HOST=HOST_A).get("/actualites/assises-snp/")
    html = response.text
    assert "jeudi 5 mars 2026" in html
    assert '<link rel="canonical" href="http://alpha.localhost/actualites/assises-snp/">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="Assises du soin non programmé">' in html
    assert '<meta property="og:url" content="http://alpha.localhost/actualites/assises-snp/">' in html
    assert (
        '<meta name="description" content="Une journée pour organiser les soins non programmés du territoire.">'
        in html
    )


def test_an_unpublished_page_is_404_and_a_published_one_is_served(community_a):
    client = Client(HTTP_HOST=HOST_A)
    assert client.get("/pages/bureau/").status_code == 404
    page = client.get("/pages/la-cpts/")
    assert page.status_code == 200
    assert "<h1>La CPTS</h1>" in page.text


def test_the_faq_and_the_emergency_numbers_are_public(community_a):
    client = Client(HTTP_HOST=HOST_A)
    faq = client.get("/faq/").text
    assert "Qu&#x27;est-ce qu&#x27;une CPTS ?" in faq
    numbers = client.get("/urgences/").text
    assert 'href="tel:116117"' in numbers and "Médecin de garde" in numbers
    assert "Numéros locaux" not in numbers  # none yet: the empty rubric is not shown


def test_a_hidden_national_number_and_a_local_number_show_as_the_team_set_them(community_a):
    with schema_context(community_a.schema_name):
        EmergencyNumber.objects.filter(number="3237").update(is_visible=False)
        EmergencyNumber.objects.create(category="local", number="04 77 82 80 00", label="Standard du CH")
    html = Client(HTTP_HOST=HOST_A).get("/urgences/").text
    assert "Pharmacies de garde" not in html
    assert "Numéros locaux" in html and 'href="tel:0477828000"' in html


def test_a_visitor_message_is_stored_and_the_team_is_emailed(community_a, on_commit):
    client = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="10.1.0.1")
    with on_commit():
        response = client.post(
            "/contact/",
            {
                "name": "Dr Martin",
                "email": "martin@cabinet.fr",
                "subject": "Adhésion",
                "body": "Comment adhérer ?",
            },
        )
    assert response.status_code == 302 and response["Location"] == "/contact/merci/"
    with schema_context(community_a.schema_name):
        message = VisitorMessage.objects.get(email="martin@cabinet.fr")
        assert message.kind == "contact" and message.notified_at is not None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["alice@test.fr"]  # no team address set: the admins and team members
    assert sent.reply_to == ["martin@cabinet.fr"]
    assert "Nouveau message sur le site de la CPTS Alpha : Adhésion" == sent.subject
    assert "du site de la CPTS Alpha." in sent.body
    assert "Comment adhérer ?" in sent.body and "http://alpha.localhost/equipe/site/messages/" in sent.body


def test_the_idea_box_stores_an_idea(community_a, on_commit):
    with on_commit():
        response = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="10.1.0.2").post(
            "/boite-a-idees/",
            {"name": "Inès", "email": "ines@test.fr", "body": "Une soirée d'échanges ville-hôpital."},
        )
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        assert VisitorMessage.objects.get(email="ines@test.fr").kind == "idea"
    assert mail.outbox[0].subject.startswith("Nouvelle idée")


def test_a_bot_filling_the_honeypot_is_thanked_and_nothing_is_stored(community_a, on_commit):
    with on_commit():
        response = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="10.1.0.3").post(
            "/contact/",
            {"name": "Bot", "email": "bot@spam.example", "body": "Buy now", "website": "http://spam"},
        )
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        assert not VisitorMessage.objects.filter(email="bot@spam.example").exists()
    assert mail.outbox == []


def test_too_many_messages_from_one_address_are_refused(community_a, on_commit):
    client = Client(HTTP_HOST=HOST_A, REMOTE_ADDR=f"10.2.{timezone.now().microsecond % 250}.9")
    data = {"name": "Pressé", "email": "presse@test.fr", "body": "Bonjour"}
    with on_commit():
        statuses = [client.post("/contact/", data).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert "plusieurs messages en peu de temps" in client.post("/contact/", data).text
    with schema_context(community_a.schema_name):
        assert VisitorMessage.objects.filter(email="presse@test.fr").count() == 5


def test_an_invalid_message_gets_french_errors_and_is_not_stored(community_a):
    response = Client(HTTP_HOST=HOST_A, REMOTE_ADDR="10.1.0.4").post(
        "/contact/", {"name": "", "email": "pas-un-email"}
    )
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.text
    assert "Saisissez une adresse e-mail valide." in response.text
    with schema_context(community_a.schema_name):
        assert not VisitorMessage.objects.exists()


def test_robots_and_sitemap_are_per_host(community_a, community_b):
    robots_a = Client(HTTP_HOST=HOST_A).get("/robots.txt")
    assert robots_a["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://alpha.localhost/sitemap.xml" in robots_a.text
    assert "Disallow: /equipe/" in robots_a.text
    assert "Sitemap: http://beta.localhost/sitemap.xml" in Client(HTTP_HOST=HOST_B).get("/robots.txt").text
    sitemap = Client(HTTP_HOST=HOST_A).get("/sitemap.xml")
    assert sitemap["Content-Type"].startswith("application/xml")
    assert "<loc>http://alpha.localhost/pages/la-cpts/</loc>" in sitemap.text
    assert "/pages/bureau/" not in sitemap.text
    assert "beta.localhost" not in sitemap.text
    platform = Client(HTTP_HOST=PLATFORM_HOST).get("/robots.txt").text
    assert "Disallow: /console/" in platform and "Sitemap: http://localhost/sitemap.xml" in platform
    platform_map = Client(HTTP_HOST=PLATFORM_HOST).get("/sitemap.xml").text
    assert (
        "<loc>http://alpha.localhost/</loc>" in platform_map
        and "<loc>http://beta.localhost/</loc>" in platform_map
    )


def test_pages_are_cached_per_cpts_and_an_edit_shows_at_once(community_a, alice, client_as, on_commit):
    visitor = Client(HTTP_HOST=HOST_A)
    miss = visitor.get("/faq/")
    hit = visitor.get("/faq/")
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert (
        hit.content == miss.content
        and hit["Content-Type"] == miss["Content-Type"] == "text/html; charset=utf-8"
    )
    robots = [visitor.get("/robots.txt") for _ in range(2)]
    assert robots[1]["X-Page-Cache"] == "hit" and robots[1]["Content-Type"] == "text/plain; charset=utf-8"
    assert Client(HTTP_HOST=HOST_B).get("/faq/")["X-Page-Cache"] == "miss"  # B has its own entries
    with schema_context(community_a.schema_name):
        item = FaqItem.objects.order_by("position").first()
    with on_commit():
        client_as(alice, HOST_A).post(
            f"/equipe/site/faq/{item.pk}/",
            {
                "question": "Qu'est-ce qu'une CPTS, en deux mots ?",
                "answer": "Des soignants qui s'organisent.",
                "is_published": "on",
            },
        )
    fresh = visitor.get("/faq/")
    assert fresh["X-Page-Cache"] == "miss"
    assert "en deux mots" in fresh.text


def test_a_signed_in_visitor_is_never_served_a_cached_page(community_a, bob, client_as):
    Client(HTTP_HOST=HOST_A).get("/")
    response = client_as(bob, HOST_A).get("/")
    assert "X-Page-Cache" not in response
    assert 'Se déconnecter<span class="header-email"> (bob@test.fr)</span>' in response.text


def test_the_platform_site_lists_the_cpts_and_offers_a_contact(world, db):
    html = Client(HTTP_HOST=PLATFORM_HOST).get("/").text
    assert 'href="http://alpha.localhost/"' in html and "CPTS Alpha" in html
    assert "CPTS Bêta" in html
    assert "mailto:" in html


def _describe_territory(community, codes):
    from apps.site.pagecache import invalidate_site
    from apps.territory.models import TerritoryCommune

    with schema_context(community.schema_name):
        TerritoryCommune.objects.all().delete()
        TerritoryCommune.objects.bulk_create(TerritoryCommune(commune_id=code) for code in codes)
        invalidate_site()


def test_the_home_page_shows_the_territory_counters_in_french(community_a):
    from apps.geo.models import Commune

    codes = ["42218", "25056"]  # Saint-Étienne, Besançon: six-figure populations
    inhabitants = sum(Commune.objects.filter(code__in=codes).values_list("population", flat=True))
    assert inhabitants > 100_000
    _describe_territory(community_a, codes)
    html = Client(HTTP_HOST=HOST_A).get("/").text
    grouped = f"{inhabitants:,}".replace(",", "\xa0")
    assert (
        f'<span class="counter-value">{grouped}</span> <span class="counter-label">Habitants</span>' in html
    )
    assert '<span class="counter-value">2</span> <span class="counter-label">Communes</span>' in html


def test_the_home_page_shows_no_counter_while_the_territory_is_empty_or_failing(community_a):
    from django.db import connection

    from apps.site.pagecache import invalidate_site

    _describe_territory(community_a, [])
    assert 'class="counters"' not in Client(HTTP_HOST=HOST_A).get("/").text

    # The territory's table cannot be read: the home page is still served, without counters,
    # and the rest of the request (tiers, events) still reads the database.
    _describe_territory(community_a, ["42218"])
    with schema_context(community_a.schema_name), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE territory_territorycommune RENAME TO territory_unreadable")
        invalidate_site()
    response = Client(HTTP_HOST=HOST_A).get("/")
    assert response.status_code == 200 and 'class="counters"' not in response.text
    assert "Adhérer en ligne" in response.text


def test_the_home_page_shows_the_membership_tiers_and_the_join_link_when_dues_exist(community_a):
    from django.apps import apps

    if not apps.is_installed("apps.dues"):
        import pytest

        pytest.skip("the dues app (issue 3) is not installed")
    html = Client(HTTP_HOST=HOST_A).get("/").text
    assert "<h3>Adhésion classique</h3>" in html
    assert '<p class="tier-price">5,00 € TTC</p>' in html and '<p class="tier-price">17,00 € TTC</p>' in html
    assert 'href="/adhesion/">Adhérer en ligne</a>' in html


def test_list_pages_make_the_same_number_of_queries_whatever_the_number_of_items(community_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.site.pagecache import invalidate_site

    def queries(path: str) -> int:
        with schema_context(community_a.schema_name):
            invalidate_site()
        with CaptureQueriesContext(connection) as captured:
            assert Client(HTTP_HOST=HOST_A).get(path).status_code == 200
        return len(captured.captured_queries)

    past = timezone.now() - timedelta(days=1)
    with schema_context(community_a.schema_name):
        for i in range(2):
            NewsItem.objects.create(
                title=f"Brève {i}", slug=f"breve-{i}", status="published", publish_at=past
            )
    few = {path: queries(path) for path in ("/", "/actualites/", "/faq/", "/urgences/")}
    with schema_context(community_a.schema_name):
        for i in range(2, 14):
            NewsItem.objects.create(
                title=f"Brève {i}", slug=f"breve-{i}", status="published", publish_at=past
            )
        for i in range(10):
            FaqItem.objects.create(question=f"Question {i} ?", answer="Réponse.", position=50 + i)
            EmergencyNumber.objects.create(
                category="local", number=f"01 00 00 00 {i:02d}", label=f"Local {i}"
            )
    many = {path: queries(path) for path in few}
    assert many == few


def test_the_platform_pages_make_a_fixed_number_of_queries(world, db, django_assert_max_num_queries):
    # Domain lookup, the CPTS, their domains (each with django-tenants' SET search_path): no query per CPTS.
    with django_assert_max_num_queries(6):
        assert Client(HTTP_HOST=PLATFORM_HOST).get("/").status_code == 200
    with django_assert_max_num_queries(6):
        assert Client(HTTP_HOST=PLATFORM_HOST).get("/sitemap.xml").status_code == 200


def test_the_home_page_lists_upcoming_public_events_only(community_a):
    from django.apps import apps

    if not apps.is_installed("apps.events"):
        import pytest

        pytest.skip("the events app (issue 6) is not installed")
    from apps.events.models import Event

    start = datetime(2099, 6, 12, 19, 30, tzinfo=PARIS)
    with schema_context(community_a.schema_name):
        public = Event.objects.create(
            title="Soirée ville-hôpital",
            location="Salle des fêtes",
            visibility=Event.Visibility.PUBLIC,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        )
        Event.objects.create(
            title="Réunion du bureau",
            visibility=Event.Visibility.MEMBERS,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
    html = Client(HTTP_HOST=HOST_A).get("/").text
    assert "Prochains événements" in html
    assert f'<a href="{public.get_absolute_url()}">Soirée ville-hôpital</a>' in html
    assert "vendredi 12 juin 2099 à 19h30" in html
    assert "Réunion du bureau" not in html
