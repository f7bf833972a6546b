"""The team edits its site in the "espace équipe"; nobody else can."""

import io

import pytest
from django.test import Client
from django_tenants.utils import schema_context
from PIL import Image

from apps.members.services import grant_role
from apps.site.models import EmergencyNumber, FaqItem, NewsItem, Page, SiteSettings
from tests.conftest import HOST_A, HOST_B

ATTACKS = (
    "<p>Bonjour</p><script>alert('xss')</script>"
    '<img src="x" alt="essai" onerror="alert(1)"><a href="javascript:alert(2)">clic</a>'
    '<p style="background:url(javascript:alert(3))" onclick="alert(4)">texte</p><iframe src="//evil"></iframe>'
)


def png_bytes(size=(1200, 800), color=(11, 95, 165)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_script_in_rich_text_never_reaches_a_page(community_a, alice, client_as, on_commit):
    team = client_as(alice, HOST_A)
    with on_commit():
        response = team.post(
            "/equipe/site/pages/nouvelle/",
            {
                "title": "Essai",
                "slug": "",
                "summary": "",
                "body": ATTACKS,
                "is_published": "on",
                "menu": "main",
                "position": 9,
            },
        )
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        stored = Page.objects.get(slug="essai").body
    html = Client(HTTP_HOST=HOST_A).get("/pages/essai/").text
    for text in (stored, html):
        assert "<script>" not in text and "alert(" not in text and "onerror" not in text
        assert "javascript:" not in text and "<iframe" not in text and "onclick" not in text
    assert "<p>Bonjour</p>" in html and ">clic</a>" in html
    # A row written behind the service's back is cleaned on the way out too.
    with schema_context(community_a.schema_name):
        Page.objects.filter(slug="essai").update(body=ATTACKS)
    with schema_context(community_a.schema_name):
        from apps.site.pagecache import invalidate_site

        invalidate_site()
    html = Client(HTTP_HOST=HOST_A).get("/pages/essai/").text
    assert (
        "<script>" not in html
        and "alert(" not in html
        and "onerror" not in html
        and "javascript:" not in html
    )


def test_plain_text_is_turned_into_paragraphs(community_a, alice, client_as, on_commit):
    with schema_context(community_a.schema_name):
        item = FaqItem.objects.order_by("position").first()
    with on_commit():
        client_as(alice, HOST_A).post(
            f"/equipe/site/faq/{item.pk}/",
            {
                "question": item.question,
                "answer": "Premier paragraphe.\n\nSecond <paragraphe>.",
                "is_published": "on",
            },
        )
    with schema_context(community_a.schema_name):
        item.refresh_from_db()
    assert item.answer == "<p>Premier paragraphe.</p>\n\n<p>Second &lt;paragraphe&gt;.</p>"


def test_a_team_member_edits_the_faq_and_reorders_it(community_a, client_as, on_commit, world):
    with schema_context(community_a.schema_name):
        grant_role(user=world.bob, role="team")
        first, second = FaqItem.objects.order_by("position")[:2]
    team = client_as(world.bob, HOST_A)
    assert team.get("/equipe/site/").status_code == 200
    with on_commit():
        response = team.post(
            "/equipe/site/faq/nouvelle/", {"question": "Où nous trouver ?", "answer": "À la mairie."}
        )
        team.post(f"/equipe/site/faq/{second.pk}/monter/")
    assert response.status_code == 302
    with schema_context(community_a.schema_name):
        order = list(FaqItem.objects.order_by("position").values_list("pk", flat=True))
        new = FaqItem.objects.get(question="Où nous trouver ?")
    assert order[:2] == [second.pk, first.pk]
    assert order[-1] == new.pk and new.is_published is False  # unchecked box: saved hidden
    faq = Client(HTTP_HOST=HOST_A).get("/faq/").text
    assert faq.index(second.question.replace("'", "&#x27;")) < faq.index(
        first.question.replace("'", "&#x27;")
    )


def test_charlie_cannot_see_or_edit_the_site_of_another_cpts(
    community_a, community_b, charlie, client_as, on_commit
):
    with schema_context(community_b.schema_name):
        grant_role(user=charlie, role="team")  # charlie is in B's team...
    with schema_context(community_a.schema_name):
        item = FaqItem.objects.order_by("position").first()
        page = Page.objects.get(slug="la-cpts")
        before = (item.question, item.answer, page.body)
    assert client_as(charlie, HOST_B).get("/equipe/site/").status_code == 200  # ...and edits B's site
    outsider = client_as(charlie, HOST_A)
    with on_commit():
        responses = [
            outsider.get("/equipe/site/"),
            outsider.get("/equipe/site/faq/"),
            outsider.post(f"/equipe/site/faq/{item.pk}/", {"question": "Piraté", "answer": "Piraté"}),
            outsider.post(
                f"/equipe/site/pages/{page.pk}/",
                {"title": "Piraté", "body": "x", "menu": "main", "position": 1},
            ),
            outsider.post(f"/equipe/site/pages/{page.pk}/supprimer/"),
            outsider.get("/equipe/site/messages/"),
        ]
    assert [r.status_code for r in responses] == [404] * 6
    with schema_context(community_a.schema_name):
        item.refresh_from_db()
        page.refresh_from_db()
        assert (item.question, item.answer, page.body) == before


def test_a_team_member_cannot_reach_another_cpts_rows_by_id(community_a, community_b, alice, client_as):
    with schema_context(community_b.schema_name):
        faq_b = FaqItem.objects.create(question="Question de Bêta", answer="x", position=99)
    with schema_context(community_a.schema_name):
        exists_in_a = FaqItem.objects.filter(pk=faq_b.pk).exists()
    if not exists_in_a:
        assert client_as(alice, HOST_A).get(f"/equipe/site/faq/{faq_b.pk}/").status_code == 404
    with schema_context(community_b.schema_name):
        assert FaqItem.objects.get(pk=faq_b.pk).question == "Question de Bêta"


def test_a_plain_member_gets_403_and_changes_nothing(community_a, bob, client_as):
    member = client_as(bob, HOST_A)
    with schema_context(community_a.schema_name):
        item = FaqItem.objects.order_by("position").first()
    assert member.get("/equipe/site/").status_code == 403
    assert member.post(f"/equipe/site/faq/{item.pk}/supprimer/").status_code == 403
    with schema_context(community_a.schema_name):
        assert FaqItem.objects.filter(pk=item.pk).exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(community_a):
    response = Client(HTTP_HOST=HOST_A).get("/equipe/site/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/")


def test_branding_refuses_colours_without_aa_contrast(community_a, alice, client_as):
    response = client_as(alice, HOST_A).post(
        "/equipe/site/identite/", {"primary_color": "#f0c000", "accent_color": "#8a3b12", "tagline": "x"}
    )
    assert response.status_code == 200
    assert "Contraste insuffisant : 1,71:1" in response.text
    with schema_context(community_a.schema_name):
        assert SiteSettings.objects.get(pk=1).primary_color == "#0b5fa5"


def test_branding_colours_logo_and_favicon_reach_every_page(community_a, alice, client_as, on_commit):
    with on_commit():
        response = client_as(alice, HOST_A).post(
            "/equipe/site/identite/",
            {
                "primary_color": "#1B4D3E",
                "accent_color": "#7a1f5c",
                "tagline": "Soigner ensemble en Alpha",
                "contact_email": "coordination@alpha.fr",
                "logo_file": upload("logo.png", png_bytes()),
                "favicon_file": upload("icon.png", png_bytes((300, 300))),
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(community_a.schema_name):
        site = SiteSettings.objects.get(pk=1)
        with site.logo.open("rb") as logo, site.favicon.open("rb") as favicon:
            assert Image.open(logo).size == (384, 256)
            assert Image.open(favicon).size == (64, 64)
    html = Client(HTTP_HOST=HOST_A).get("/faq/").text
    assert "--brand: #1b4d3e; --accent: #7a1f5c;" in html
    assert '<link rel="icon" href="/media/alpha/site/favicon/' in html
    assert 'class="brand-logo"' in html and "Soigner ensemble en Alpha" in html
    logo_url = html.split('<img src="', 1)[1].split('"', 1)[0]
    served = Client(HTTP_HOST=HOST_A).get(logo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert Client(HTTP_HOST=HOST_B).get(logo_url).status_code == 404  # B never serves A's files


def test_the_home_page_shows_the_cpts_own_image_behind_its_name(community_a, alice, client_as, on_commit):
    with on_commit():
        response = client_as(alice, HOST_A).post(
            "/equipe/site/identite/",
            {
                "primary_color": "#0b5fa5",
                "accent_color": "#8a3b12",
                "hero_file": upload("v.png", png_bytes((3000, 1200))),
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    with schema_context(community_a.schema_name):
        site = SiteSettings.objects.get(pk=1)
        with site.hero_image.open("rb") as hero:
            assert Image.open(hero).size == (1920, 768)
    html = Client(HTTP_HOST=HOST_A).get("/").text
    hero_url = html.split("--hero-image: url('", 1)[1].split("'", 1)[0]
    assert hero_url.startswith("/media/alpha/site/hero/") and 'class="hero home-hero with-image"' in html
    assert Client(HTTP_HOST=HOST_A).get(hero_url).status_code == 200
    with on_commit():
        client_as(alice, HOST_A).post(
            "/equipe/site/identite/",
            {"primary_color": "#0b5fa5", "accent_color": "#8a3b12", "remove_hero": "on"},
        )
    assert "with-image" not in Client(HTTP_HOST=HOST_A).get("/").text


def test_a_hero_image_that_is_not_an_image_is_refused_under_its_field(community_a, alice, client_as):
    response = client_as(alice, HOST_A).post(
        "/equipe/site/identite/",
        {
            "primary_color": "#0b5fa5",
            "accent_color": "#8a3b12",
            "hero_file": upload("v.png", b"not an image"),
        },
    )
    assert response.status_code == 200 and "pas une image lisible" in response.text
    html = response.text
    assert html.index('id="id_hero_file"') < html.index("pas une image lisible")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "pas une image lisible"),
        (b"GIF89a" + b"\0" * (2 * 1024 * 1024 + 10), "2 Mo"),
    ],
)
def test_a_logo_that_is_not_a_small_image_is_refused(community_a, alice, client_as, content, message):
    response = client_as(alice, HOST_A).post(
        "/equipe/site/identite/",
        {"primary_color": "#0b5fa5", "accent_color": "#8a3b12", "logo_file": upload("logo.png", content)},
    )
    assert response.status_code == 200 and message in response.text
    with schema_context(community_a.schema_name):
        assert not SiteSettings.objects.get(pk=1).logo


def test_a_scheduled_news_item_is_announced_as_such(community_a, alice, client_as, on_commit):
    with on_commit():
        response = client_as(alice, HOST_A).post(
            "/equipe/site/actualites/nouvelle/",
            {
                "title": "Assemblée générale",
                "body": "Le 12 juin.",
                "status": "published",
                "publish_at": "2099-06-01T09:00",
            },
            follow=True,
        )
    assert "paraîtra le 01/06/2099 à 09:00" in response.text
    with schema_context(community_a.schema_name):
        item = NewsItem.objects.get(slug="assemblee-generale")
    assert item.is_scheduled and item.author_id == alice.pk
    assert Client(HTTP_HOST=HOST_A).get("/actualites/assemblee-generale/").status_code == 404


def test_national_numbers_can_be_hidden_but_not_rewritten_or_deleted(
    community_a, alice, client_as, on_commit
):
    with schema_context(community_a.schema_name):
        samu = EmergencyNumber.objects.get(number="15")
    team = client_as(alice, HOST_A)
    with on_commit():
        team.post(
            f"/equipe/site/numeros/{samu.pk}/", {"number": "0800", "label": "Faux", "category": "local"}
        )
        deleted = team.post(f"/equipe/site/numeros/{samu.pk}/supprimer/", follow=True)
    assert "ne peut pas être supprimé" in deleted.text
    with schema_context(community_a.schema_name):
        samu.refresh_from_db()
    assert (samu.number, samu.label, samu.is_visible) == ("15", "SAMU", False)


def test_the_team_previews_drafts_that_visitors_and_members_cannot_see(community_a, alice, bob, client_as):
    with schema_context(community_a.schema_name):
        NewsItem.objects.create(title="Brouillon d'AG", slug="brouillon-ag", status="draft")
    for path in ("/pages/bureau/", "/actualites/brouillon-ag/"):
        assert Client(HTTP_HOST=HOST_A).get(path).status_code == 404
        assert client_as(bob, HOST_A).get(path).status_code == 404
        preview = client_as(alice, HOST_A).get(path)
        assert preview.status_code == 200 and "Aperçu réservé à l'équipe" in preview.text
    assert Client(HTTP_HOST=HOST_A).get("/pages/bureau/").status_code == 404  # the preview was not cached
