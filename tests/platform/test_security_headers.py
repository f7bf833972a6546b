"""Every response carries a Content-Security-Policy that runs scripts only from this host,
Stripe.js's origin or with the request's nonce; no template relies on an inline script or handler;
the API docs page serves a pinned Swagger UI from this host, in French."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import HOST_A, PLATFORM_HOST


def _directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def test_pages_carry_a_policy_that_runs_no_inline_script(community_a):
    response = Client(HTTP_HOST=HOST_A).get("/")
    policy = _directives(response)
    scripts = policy["script-src"]
    # A nonce appears only on a page that uses one; nothing else may run inline or through eval.
    assert [s for s in scripts if not s.startswith("'nonce-")] == [
        "'self'",
        *settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"][2:],
    ]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_the_policy_lets_the_card_form_load_stripe_js():
    origin = re.match(r"^https?://[^/]+", settings.STRIPE_JS_URL).group(0)
    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert (
        origin in policy["script-src"]
        or f"{origin.rsplit('/', 1)[0]}//*.js.stripe.com" in policy["script-src"]
    )
    assert any(source in policy["connect-src"] for source in (origin, "https://api.stripe.com"))


def test_the_platform_host_carries_the_policy_too(db):
    response = Client(HTTP_HOST=PLATFORM_HOST).get("/")
    assert "'unsafe-inline'" not in _directives(response)["script-src"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def test_no_template_has_an_inline_script_without_nonce_or_an_inline_handler():
    """The policy would block them in the browser: a confirmation is `data-confirm="…"` on the
    form (static/js/confirm.js), code goes in a static file, a rare inline script carries
    nonce="{{ request.csp_nonce }}"."""
    offenders = []
    roots = [settings.BASE_DIR / "templates", *(settings.BASE_DIR / "apps").glob("*/templates")]
    for root in roots:
        for path in root.rglob("*.html"):
            text = path.read_text()
            for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL):
                offenders += [
                    f"{path.relative_to(settings.BASE_DIR)}: {m.group(0)}" for m in pattern.finditer(text)
                ]
    assert offenders == []


def test_the_api_docs_page_serves_a_pinned_swagger_ui_in_french(community_a):
    for host in (HOST_A, PLATFORM_HOST):
        client = Client(HTTP_HOST=host)
        response = client.get("/api/docs/")
        page = response.content.decode()
        assert response.status_code == 200
        assert '<html lang="fr">' in page
        assert "cdn" not in page and "@latest" not in page
        bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
        assert f'src="{bundle}"' in page
        assert finders.find(bundle.removeprefix("/static/"))
        assert INLINE_SCRIPT.search(page) is None
        script_url = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1).replace("&amp;", "&")
        script = client.get(script_url)
        assert script.status_code == 200
        assert script["Content-Type"].startswith("application/javascript")
        assert b"SwaggerUIBundle" in script.content
