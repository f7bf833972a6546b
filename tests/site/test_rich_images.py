"""Images of rich text beyond the site's own pages: an event description offers the Pillow
renditions by ``srcset`` like a page does, and images uploaded in the editor but never saved into
any content are removed by a daily retention job after a delay (run twice, acts once; per CPTS)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events.services import create_event
from apps.site import services
from apps.site.models import NewsItem, SiteImage
from tests.conftest import HOST_A
from tests.site.test_richtext import _figure, _png
from tests.site.test_team_space import upload
from workers.site import sweep_orphan_images_task


def _upload(client) -> str:
    response = client.post("/equipe/site/images/", {"image": upload("photo.png", _png(2000, 1000))})
    assert response.status_code == 201
    return response.json()["url"]


def test_an_event_description_offers_the_image_renditions_by_srcset(community_a, alice, client_as, on_commit):
    team = client_as(alice, HOST_A)
    url = _upload(team)
    start = timezone.now() + timedelta(days=5)
    with schema_context(community_a.schema_name), on_commit():
        event = create_event(
            actor=alice,
            data={"title": "Soirée avec photo", "description": "<p>Venez</p>" + _figure(url, "La salle"),
                  "starts_at": start, "ends_at": start + timedelta(hours=2), "visibility": "public"},
        )  # fmt: skip
    assert "srcset=" in event.description
    html = Client(HTTP_HOST=HOST_A).get(f"/evenements/{event.pk}/").text
    img = re.search(r"<img [^>]*>", html.split('class="prose"', 1)[1]).group(0)
    assert re.search(r'srcset="[^"]+-480\.png 480w, [^"]+-960\.png 960w, [^"]+-1600\.png 1600w"', img)
    assert 'alt="La salle"' in img and 'loading="lazy"' in img


def test_orphaned_uploads_are_swept_after_the_delay_once_and_only_in_their_cpts(
    community_a, community_b, alice, client_as, on_commit
):
    team = client_as(alice, HOST_A)
    used_in_news, used_in_event, orphan, recent = (_upload(team) for _ in range(4))
    with schema_context(community_b.schema_name):
        # An orphan of CPTS B, as old: not A's job.
        other = SiteImage.objects.create(files=["site/images/b-only-480.png"], widths=[480], height=240)
    with schema_context(community_a.schema_name), on_commit():
        services.save_news_item(
            actor=alice,
            item=NewsItem(title="Avec image", body="<p>x</p>" + _figure(used_in_news, "Image utilisée")),
        )
        start = timezone.now() + timedelta(days=5)
        create_event(
            actor=alice,
            data={"title": "Événement illustré", "description": _figure(used_in_event, "Affiche"),
                  "starts_at": start, "ends_at": start + timedelta(hours=1), "visibility": "public"},
        )  # fmt: skip
        old = timezone.now() - services.ORPHAN_IMAGE_DELAY - timedelta(hours=1)
        recent_pk = next(i.pk for i in SiteImage.objects.all() if any(recent.endswith(f) for f in i.files))
        SiteImage.objects.exclude(pk=recent_pk).update(uploaded_at=old)
    with schema_context(community_b.schema_name):
        SiteImage.objects.filter(pk=other.pk).update(uploaded_at=timezone.now() - timedelta(days=30))

    def stored(url: str) -> list[str]:
        with schema_context(community_a.schema_name):
            image = next(i for i in SiteImage.objects.all() if any(url.endswith(f) for f in i.files))
            return list(image.files)

    orphan_files = stored(orphan)
    with on_commit():
        assert sweep_orphan_images_task.apply(args=(community_a.schema_name,)).get() == 1
        assert sweep_orphan_images_task.apply(args=(community_a.schema_name,)).get() == 0  # twice: once
    with schema_context(community_a.schema_name):
        names = [f for image in SiteImage.objects.all() for f in image.files]
        kept = SiteImage.objects.count()
    assert kept == 3
    assert not any(default_storage.exists(name) for name in orphan_files)
    assert not set(orphan_files) & set(names)
    for url in (used_in_news, used_in_event, recent):
        assert Client(HTTP_HOST=HOST_A).get(url).status_code == 200
    with schema_context(community_b.schema_name):
        assert SiteImage.objects.filter(pk=other.pk).exists()
    assert "site.fan_out_orphan_images" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
