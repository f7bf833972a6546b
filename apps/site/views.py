"""Public pages of a CPTS's site (and the platform host's robots.txt / sitemap.xml)."""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from apps.members.models import Role
from apps.richtext import plain_text
from tenants.access import public
from tenants.client_ip import client_ip
from tenants.models import Community
from tenants.rate_limit import RateLimited
from tenants.storage import file_response
from tenants.views import primary_domain_url

from . import integrations, selectors, services
from .forms import VisitorMessageForm
from .models import EmergencyNumber, VisitorMessage
from .navigation import platform_route
from .pagecache import public_page

HOME_NEWS_COUNT = 3
NEWS_PER_PAGE = 10


@public_page
def home(request):
    site = selectors.get_site_settings()
    tiers, join_url = integrations.public_tiers()
    emergency = [n for n in selectors.list_visible_numbers()[EmergencyNumber.Category.EMERGENCY]][:4]
    return render(
        request,
        "site/home.html",
        {
            "site": site,
            "missions": selectors.list_missions(),
            "latest_news": selectors.list_public_news()[:HOME_NEWS_COUNT],
            "counters": integrations.home_counters(),
            "tiers": tiers,
            "join_url": join_url,
            "events": integrations.upcoming_events(),
            "emergency": emergency,
            "meta_description": plain_text(site.tagline or site.intro),
        },
    )


def is_team(request) -> bool:
    """The signed-in account is in this CPTS's team: it may preview drafts (never cached)."""
    membership = getattr(request, "membership", None)
    return bool(membership) and membership.has_role(Role.TEAM)


@public_page
def page(request, slug: str):
    found = selectors.get_published_page(slug)
    preview = found is None and is_team(request)
    if preview:
        found = selectors.list_pages().filter(slug=slug).first()
    if found is None:
        # An old link to a team page replaced by the platform's own page (/pages/projet-de-sante/).
        if route := platform_route(slug):
            return redirect(route, permanent=True)
        raise Http404
    return render(
        request,
        "site/page.html",
        {"page": found, "preview": preview, "meta_description": found.summary or plain_text(found.body)},
    )


@public_page
def news_list(request):
    paginator = Paginator(selectors.list_public_news(), NEWS_PER_PAGE)
    news_page = paginator.get_page(request.GET.get("page"))
    return render(request, "site/news_list.html", {"news_page": news_page})


@public_page
def news_detail(request, slug: str):
    item = selectors.get_public_news(slug)
    preview = item is None and is_team(request)
    if preview:
        item = selectors.list_news().filter(slug=slug).first()
    if item is None:
        raise Http404
    return render(
        request,
        "site/news_detail.html",
        {
            "item": item,
            "meta_description": item.summary or plain_text(item.body),
            "og_type": "article",
            "preview": preview,
            "og_image": selectors.file_url(item.image),
        },
    )


@public_page
def faq(request):
    return render(request, "site/faq.html", {"items": selectors.list_published_faq()})


@public_page
def emergency_numbers(request):
    groups = selectors.list_visible_numbers()
    sections = [
        (value, label, groups[value]) for value, label in EmergencyNumber.Category.choices if groups[value]
    ]
    return render(request, "site/emergency.html", {"sections": sections})


@public
@require_http_methods(["GET", "POST"])
def visitor_message(request, kind: str):
    """Contact form (kind=contact) and idea box (kind=idea)."""
    with translation.override("fr"):
        form = VisitorMessageForm(request.POST or None, kind=kind)
        status = 200
        if request.method == "POST" and form.is_valid():
            if form.is_spam:
                # Bots get the same answer as people, and nothing is stored.
                return redirect("site:idea_sent" if kind == VisitorMessage.Kind.IDEA else "site:contact_sent")
            try:
                services.submit_visitor_message(
                    kind=kind,
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    client_ip=client_ip(request),
                )
            except RateLimited:
                form.add_error(
                    None,
                    _(
                        "Vous avez envoyé plusieurs messages en peu de temps. Merci de réessayer dans "
                        "quelques minutes, ou de nous écrire directement."
                    ),
                )
                status = 429
            else:
                return redirect("site:idea_sent" if kind == VisitorMessage.Kind.IDEA else "site:contact_sent")
        elif request.method == "POST":
            status = 400
        template = "site/idea.html" if kind == VisitorMessage.Kind.IDEA else "site/contact.html"
        return render(request, template, {"form": form, "kind": kind}, status=status)


@public_page
def message_sent(request, kind: str):
    return render(request, "site/message_sent.html", {"kind": kind})


@require_GET
@public_page
def robots_txt(request):
    """robots.txt of the host being asked: a CPTS site or the platform site."""
    tenant = request.tenant
    if tenant.is_platform:
        base = request.build_absolute_uri("/").rstrip("/")
        private = ["/console/", "/compte/", "/api/"]
    else:
        base = selectors.get_site_chrome()["base_url"]
        private = ["/equipe/", "/mon-espace/", "/compte/", "/api/", "/invitation/"]
    lines = ["User-agent: *", *[f"Disallow: {path}" for path in private], "", f"Sitemap: {base}/sitemap.xml"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
@public_page
def sitemap_xml(request):
    tenant = request.tenant
    if tenant.is_platform:
        base = request.build_absolute_uri("/").rstrip("/")
        urls = [{"loc": f"{base}/", "lastmod": None}]
        communities = Community.objects.filter(status=Community.Status.ACTIVE).exclude(schema_name="public")
        urls += [
            {"loc": primary_domain_url(c), "lastmod": None} for c in communities.prefetch_related("domains")
        ]
    else:
        base = selectors.get_site_chrome()["base_url"]
        urls = [{"loc": f"{base}/", "lastmod": None}]
        for path in ("/actualites/", "/faq/", "/urgences/", "/contact/", "/boite-a-idees/"):
            urls.append({"loc": base + path, "lastmod": None})
        urls += [
            {"loc": base + p.get_absolute_url(), "lastmod": p.updated_at}
            for p in selectors.list_published_pages()
        ]
        urls += [
            {"loc": base + n.get_absolute_url(), "lastmod": n.updated_at}
            for n in selectors.list_public_news()
        ]
    return render(request, "site/sitemap.xml", {"urls": urls}, content_type="application/xml; charset=utf-8")


@public
@require_GET
def site_file(request, schema: str, path: str):
    """Files uploaded for the site (logo, icon, news images) of *this* CPTS, while what owns them
    is published: a draft's image is for the team only, a file no row names any more is gone (404).

    Production may serve MEDIA_ROOT from the proxy for the public ones; this keeps the dev and test
    servers self-contained and never reaches another CPTS's files.
    """
    if schema != request.tenant.schema_name or ".." in path.split("/"):
        raise Http404
    name = f"site/{path}"
    audience = selectors.get_site_file_audience(name)
    if audience is None or (audience == selectors.FileAudience.TEAM and not is_team(request)):
        raise Http404
    if not default_storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    # Names are random and change with every upload: a cached copy never shows a stale image.
    return file_response(name, content_type=content_type, public=audience == selectors.FileAudience.PUBLIC)


@public
@require_GET
def favicon(request):
    """``/favicon.ico``, asked by browsers and tools that skip the page's <link rel="icon">: the
    CPTS's own icon when it has one, else the platform's default (never a 404)."""
    tenant = request.tenant
    own = "" if tenant.is_platform else selectors.get_site_chrome()["favicon_url"]
    response = redirect(own or static("img/favicon.png"))
    patch_cache_control(response, public=True, max_age=60 * 60 * 24)
    return response


def media_url_pattern() -> str:
    return settings.MEDIA_URL.strip("/") + "/<str:schema>/site/<path:path>"
