"""Rich text: the vendored editor on every rich field, images uploaded by the team and stored in
several widths (srcset), a description required for each image, nh3 keeping the allow-list."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from PIL import Image

from apps.events.forms import EventForm
from apps.events.services import create_event
from apps.richtext import clean_html, undescribed_images
from apps.site.forms import BrandingForm, FaqItemForm, MissionForm, NewsItemForm, PageForm
from apps.site.models import Page, SiteImage
from tests.conftest import HOST_A
from tests.site.test_team_space import upload

TRIX_FIGURE = (
    '<figure data-trix-attachment="{&quot;url&quot;:&quot;{url}&quot;}" class="attachment attachment--preview">'
    '<img src="{url}" width="1600" height="800">'
    '<figcaption class="attachment__caption{edited}">{caption}</figcaption></figure>'
)


def _figure(url: str, caption: str, edited: bool = True) -> str:
    return (
        TRIX_FIGURE.replace("{url}", url)
        .replace("{edited}", " attachment__caption--edited" if edited else "")
        .replace("{caption}", caption)
    )


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (11, 95, 165)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_editor_is_vendored_with_its_licence_and_served_locally():
    vendor = Path(settings.BASE_DIR) / "static" / "vendor" / "trix"
    assert (vendor / "trix.umd.min.js").stat().st_size > 100_000
    assert (
        "MIT" in (vendor / "LICENSE").read_text()
        or "Permission is hereby granted" in (vendor / "LICENSE").read_text()
    )


def test_every_rich_field_gets_the_editor():
    forms = [
        (PageForm(), "body"),
        (NewsItemForm(), "body"),
        (MissionForm(), "body"),
        (FaqItemForm(), "answer"),
        (BrandingForm(), "intro"),
        (EventForm(), "description"),
    ]
    for form, name in forms:
        html = str(form[name])
        assert 'data-rich-text="1"' in html and "js/richtext.js" in html, (type(form).__name__, name)
        assert 'data-upload-url="/equipe/site/images/"' in html


def test_a_caption_becomes_the_alt_and_the_file_name_trix_shows_does_not():
    described = clean_html(_figure("/media/a/site/images/x-480.png", "Équipe du « Scorff » réunie"))
    assert 'alt="Équipe du « Scorff » réunie"' in described
    assert "<figcaption>Équipe du « Scorff » réunie</figcaption>" in described
    assert "data-trix" not in described
    undescribed = _figure(
        "/media/a/site/images/x-480.png", '<span class="attachment__name">x.png</span>', False
    )
    assert undescribed_images(undescribed) == 1
    assert "x.png" not in clean_html(undescribed)
    # Stored HTML rendered again keeps its caption and alt (the output is cleaned a second time).
    assert clean_html(described) == described


def test_a_page_with_an_image_without_description_is_refused_under_the_field(community_a, alice, client_as):
    team = client_as(alice, HOST_A)
    body = "<p>Texte</p>" + _figure("/media/alpha/site/images/x-480.png", "", False)
    response = team.post(
        "/equipe/site/pages/nouvelle/",
        {"title": "Sans description", "slug": "", "summary": "", "body": body, "menu": "none", "position": 1},
    )
    assert response.status_code == 200
    assert "Décrivez chaque image dans sa légende" in response.content.decode()
    with schema_context(community_a.schema_name):
        assert not Page.objects.filter(title="Sans description").exists()


def test_an_uploaded_image_is_stored_in_three_widths_and_pages_offer_them_by_srcset(
    community_a, alice, client_as, on_commit
):
    team = client_as(alice, HOST_A)
    response = team.post("/equipe/site/images/", {"image": upload("photo.png", _png(2400, 1200))})
    assert response.status_code == 201
    url = response.json()["url"]
    with schema_context(community_a.schema_name):
        image = SiteImage.objects.get()
        assert image.widths == [480, 960, 1600] and image.height == 800
        assert all(default_storage.exists(name) for name in image.files)
    assert Client(HTTP_HOST=HOST_A).get(url).status_code == 200  # public once inserted

    with on_commit():
        saved = team.post(
            "/equipe/site/pages/nouvelle/",
            {
                "title": "Avec photo",
                "slug": "",
                "summary": "",
                "body": "<p>Texte</p>" + _figure(url, "L'équipe de coordination"),
                "is_published": "on",
                "menu": "none",
                "position": 1,
            },
        )
    assert saved.status_code == 302
    html = Client(HTTP_HOST=HOST_A).get("/pages/avec-photo/").text
    img = re.search(r"<img [^>]*>", html).group(0)
    assert 'alt="L&#39;équipe de coordination"' in img or 'alt="L\'équipe de coordination"' in img
    assert re.search(r'srcset="[^"]+-480\.png 480w, [^"]+-960\.png 960w, [^"]+-1600\.png 1600w"', img)
    assert 'width="1600" height="800"' in img and 'loading="lazy"' in img


def test_a_small_image_keeps_its_own_width_only(community_a, alice, client_as):
    response = client_as(alice, HOST_A).post(
        "/equipe/site/images/", {"image": upload("petit.png", _png(300, 200))}
    )
    assert response.status_code == 201
    with schema_context(community_a.schema_name):
        assert SiteImage.objects.get().widths == [300]


def test_a_file_that_is_not_an_image_is_refused_in_french(community_a, alice, client_as):
    response = client_as(alice, HOST_A).post(
        "/equipe/site/images/", {"image": upload("note.png", b"pas une image", "image/png")}
    )
    assert response.status_code == 400
    assert "n'est pas une image lisible" in response.json()["error"]
    with schema_context(community_a.schema_name):
        assert not SiteImage.objects.exists()


def test_only_the_team_uploads_images(community_a, bob, charlie, client_as):
    assert (
        client_as(bob, HOST_A)
        .post("/equipe/site/images/", {"image": upload("p.png", _png(10, 10))})
        .status_code
        == 403
    )
    assert (
        client_as(charlie, HOST_A)
        .post("/equipe/site/images/", {"image": upload("p.png", _png(10, 10))})
        .status_code
        == 404
    )
    with schema_context(community_a.schema_name):
        assert not SiteImage.objects.exists()


def test_an_event_description_is_sanitised_and_rendered_as_rich_text(community_a, alice):
    with schema_context(community_a.schema_name):
        event = create_event(
            actor=alice,
            data={
                "title": "Soirée",
                "kind": "meeting",
                "description": "<h2>Programme</h2><script>x()</script><p>Accueil</p>",
                "starts_at": timezone.now() + timedelta(days=30),
                "ends_at": timezone.now() + timedelta(days=30, hours=2),
                "visibility": "public",
                "status": "draft",
            },
        )
    assert event.description == "<h2>Programme</h2><p>Accueil</p>"
