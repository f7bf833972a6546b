"""Every page each persona can reach, at a phone's width and a laptop's, in Chromium.

For the visitor, a member, a team member, an admin (CPTS Alpha) and an operator (the platform's
host), the crawl starts from the persona's landing pages, follows every link to the same host
(up to PER_PATTERN pages per URL pattern: a bug that shows only on the second item of a list is
caught, while a hundredth news item would teach nothing more) and, at 390 and 1366 px, fails on:

- a page wider than the screen (``scrollWidth`` > viewport),
- a console error, or a page or asset answering 4xx/5xx,
- a serious or critical axe-core violation (WCAG 2.1 A/AA).

A screenshot of every page is saved under ``.data/screenshots/<persona>/`` (git-ignored) to be
looked at. Sessions are opened the way the server does (``signed_in_client``) and handed to the
browser as its cookie, so the crawl spends its time on pages rather than on the login form.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import Resolver404, resolve, set_urlconf
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.events import services as event_services
from apps.events.models import Event, Registration
from apps.members.models import Membership
from apps.members.services import grant_role
from apps.site.models import NewsItem
from apps.site.pagecache import invalidate_site
from tests.conftest import HOST_A, PASSWORD, PLATFORM_HOST, signed_in_client, verified_operator_client

from .conftest import run_axe

pytestmark = pytest.mark.browser

WIDTHS = (390, 1366)
SHOTS = Path(settings.BASE_DIR) / ".data" / "screenshots"
# Links that leave the page for a file, end the session or act on a GET.
SKIP = re.compile(
    r"(\.ics$|\.csv$|\.json(\?|$)|\.pdf$|\.xlsx?$|/deconnexion/|/api/|/static/|/media/|export=|/justificatifs/|"
    r"/documents/\d+/|/rapports/\d+/|/recus/\d+/|/compte/cpts/|/fichiers/|/stripe/)"
)
MAX_PAGES = 200
# Pages visited per route pattern (different ids, slugs or query strings of one route). The
# second page of a pattern is checked at the phone's width only, where a long name or an extra
# column of that item would show; its laptop rendering repeats the first's.
PER_PATTERN = 2
# Pages that answer 4xx on purpose when reached by link (none today): add a path regex with why.
EXPECTED_STATUS: dict[str, int] = {}


@pytest.fixture
def crawl_world(world, django_db_blocker):
    """A team member, a published news item and an upcoming event on CPTS Alpha (the world has
    none), removed afterwards."""
    with django_db_blocker.unblock():
        users = get_user_model().objects
        teresa = users.filter(email="teresa@test.fr").first() or users.create_user(
            "teresa@test.fr", PASSWORD, first_name="Teresa", last_name="Équipe"
        )
        with schema_context(world.a.schema_name):
            grant_role(user=teresa, role="team")
            news = NewsItem.objects.create(
                title="Journée de la coordination",
                slug="journee-coordination-crawl",
                summary="Les équipes de soins primaires se retrouvent.",
                body="<p>Programme de la journée.</p>",
                status=NewsItem.Status.PUBLISHED,
                publish_at=timezone.now() - timedelta(hours=1),
            )
            start = timezone.now() + timedelta(days=10)
            event = Event.objects.create(
                title="Soirée parcours diabète",
                description="Une soirée pour organiser le parcours des patients diabétiques.",
                location="Salle des fêtes",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                visibility=Event.Visibility.PUBLIC,
                status=Event.Status.PUBLISHED,
                capacity=30,
            )
            # Second items: the crawl visits two pages per route, so a bug of the second shows.
            second_news = NewsItem.objects.create(
                title="Nouvelle permanence de soins non programmés",
                slug="permanence-snp-crawl",
                summary="Une permanence le samedi matin.",
                body="<p>Ouverte à tous les patients du territoire.</p>",
                status=NewsItem.Status.PUBLISHED,
                publish_at=timezone.now() - timedelta(hours=2),
            )
            second_event = Event.objects.create(
                title="Formation plaies chroniques",
                description="<p>Pour les infirmiers et les médecins.</p>",
                location="Maison de santé",
                starts_at=start + timedelta(days=3),
                ends_at=start + timedelta(days=3, hours=3),
                visibility=Event.Visibility.MEMBERS,
                status=Event.Status.PUBLISHED,
                capacity=1,
            )
            event_services.register(actor=world.bob, event=event)
            # A guest's row, written directly (its confirmation e-mail is not what is tested here).
            Registration.objects.create(
                event=event, status=Registration.Status.CONFIRMED, guest_first_name="Inès",
                guest_last_name="Marchand", guest_email="ines.crawl@exemple.fr",
            )  # fmt: skip
            invalidate_site()
        connection.set_schema_to_public()
    yield teresa
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            for item in (event, second_event):
                item.registrations.all().delete()
                item.delete()
            news.delete()
            second_news.delete()
            Membership.objects.filter(user=teresa).delete()
            invalidate_site()
        connection.set_schema_to_public()


def _pattern(path: str, urlconf: str) -> str:
    """The route a path resolves to (one visit per route), or the path itself."""
    try:
        match = resolve(path, urlconf=urlconf)
    except Resolver404:
        return path
    return f"{match.route}|{match.url_name}"


def _crawl(browser, base: str, urlconf: str, starts: list[str], cookie: tuple[str, str] | None, name: str):
    """Visit every reachable page at each width; return the failures, one line each."""
    failures: list[str] = []
    host = urlsplit(base).hostname
    order: list[str] = []
    per_pattern = Counter(_pattern(urlsplit(start).path, urlconf) for start in starts)
    phone_only: set[str] = set()
    queue = list(starts)
    problems: list[str] = []  # what the current page logged or failed to load
    for width in WIDTHS:
        context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
        if cookie:
            context.add_cookies([{"name": cookie[0], "value": cookie[1], "domain": host, "path": "/"}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on(
            "response",
            lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        targets = queue if width == WIDTHS[0] else order
        index = 0
        while index < len(targets) and len(order) <= MAX_PAGES:
            path = targets[index]
            index += 1
            if width != WIDTHS[0] and path in phone_only:
                continue
            problems.clear()
            response = page.goto(base + path)
            page.wait_for_load_state("load")
            status = response.status if response else 0
            expected = next((code for rx, code in EXPECTED_STATUS.items() if re.search(rx, path)), None)
            if expected == status:
                problems[:] = [p for p in problems if not p.startswith(f"{status} {base}{path}")]
                problems[:] = [p for p in problems if "Failed to load resource" not in p]
            where = f"[{name} {width}px] {path}"
            failures += [f"{where}: {problem}" for problem in problems]
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                failures.append(f"{where}: {overflow}px wider than the screen")
            failures += [
                f"{where}: axe {v['impact']} {v['id']} ({v['help']}): {v['nodes'][:2]}" for v in run_axe(page)
            ]
            shot = SHOTS / name / f"{width}-{path.strip('/').replace('/', '_') or 'accueil'}.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))
            if width != WIDTHS[0]:
                continue
            order.append(path)
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                parts = urlsplit(href)
                if parts.hostname != host or parts.scheme not in ("http", "https"):
                    continue
                link = parts.path + (f"?{parts.query}" if parts.query else "")
                if SKIP.search(link) or link in targets:
                    continue
                pattern = _pattern(parts.path, urlconf)
                if per_pattern[pattern] >= PER_PATTERN:
                    continue
                if per_pattern[pattern]:
                    phone_only.add(link)
                per_pattern[pattern] += 1
                targets.append(link)
        context.close()
    assert order, f"{name}: nothing crawled"
    print(f"\n{name}: {len(order)} pages × {len(WIDTHS)} widths: " + " ".join(order))
    return failures


@pytest.fixture
def crawl(browser, live_server):
    port = live_server.url.rsplit(":", 1)[1]

    def run(persona: str, user, host: str, starts: list[str]):
        urlconf = settings.PUBLIC_SCHEMA_URLCONF if host == PLATFORM_HOST else settings.ROOT_URLCONF
        cookie = None
        if user is not None:
            client = (
                verified_operator_client(user, host)
                if host == PLATFORM_HOST
                else signed_in_client(user, host)
            )
            cookie = (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
        try:
            return _crawl(browser, f"http://{host}:{port}", urlconf, starts, cookie, persona)
        finally:
            set_urlconf(None)

    return run


TENANT_STARTS = ["/", "/compte/connexion/", "/adhesion/"]


@pytest.mark.parametrize("persona", ["visitor", "member", "team", "admin", "operator"])
def test_every_page_a_persona_reaches_fits_the_screen_loads_cleanly_and_passes_axe(
    persona, crawl, crawl_world, world
):
    if persona == "operator":
        failures = crawl(persona, world.operator, PLATFORM_HOST, ["/", "/console/"])
    else:
        user = {"visitor": None, "member": world.bob, "team": crawl_world, "admin": world.alice}[persona]
        starts = {
            "visitor": TENANT_STARTS,
            "member": ["/", "/mon-espace/"],
            "team": ["/equipe/tableau-de-bord/", "/"],
            "admin": ["/equipe/tableau-de-bord/", "/"],
        }[persona]
        failures = crawl(persona, user, HOST_A, starts)
    assert failures == [], "\n".join(failures)


def test_on_a_phone_the_site_menu_and_the_back_office_sidebar_open_from_their_menu_button(
    browser, live_server, world
):
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://{HOST_A}:{port}"
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(base + "/")
    header = page.get_by_role("navigation", name="Navigation principale")
    toggle = page.locator(".site-header .menu-toggle")
    assert not header.get_by_role("link", name="Annuaire").is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert header.get_by_role("link", name="Annuaire").is_visible()
    assert page.get_by_role("link", name="Se connecter").is_visible()
    page.keyboard.press("Escape")
    assert not header.get_by_role("link", name="Annuaire").is_visible()

    client = signed_in_client(world.alice, HOST_A)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "domain": HOST_A, "path": "/"}]
    )  # fmt: skip
    page.goto(base + "/equipe/tableau-de-bord/")
    sidebar = page.get_by_role("navigation", name="Espace équipe")
    assert not sidebar.get_by_role("link", name="Liste des adhérents").is_visible()
    page.locator(".bo-menu-toggle").click()
    sidebar.get_by_role("link", name="Liste des adhérents").click()
    page.wait_for_url("**/equipe/adherents/")
    assert page.locator("h1").inner_text() == "Adhérents"
    context.close()
