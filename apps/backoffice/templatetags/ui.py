"""The components' template tags, builtin in every template (docs/ui.md).

``{% icon "users" %}``: a Lucide icon (vendored from the npm package lucide-static under
static/vendor/lucide/, ISC licence) inlined as SVG, so it takes ``currentColor`` and costs no
request. Decorative by default (``aria-hidden``); give ``label="…"`` when the icon alone carries
the meaning."""

from __future__ import annotations

import re
from functools import lru_cache

from django import template
from django.contrib.staticfiles import finders
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_NAME = re.compile(r"^[a-z0-9-]+$")
_BODY = re.compile(r"<svg[^>]*>(.*)</svg>", re.DOTALL)


@lru_cache(maxsize=256)
def _shape(name: str) -> str:
    if not _NAME.match(name):
        raise template.TemplateSyntaxError(f"bad icon name {name!r}")
    path = finders.find(f"vendor/lucide/icons/{name}.svg")
    if path is None:
        raise template.TemplateSyntaxError(f"icon {name!r} is not vendored under static/vendor/lucide/icons/")
    with open(path, encoding="utf-8") as svg:
        text = svg.read()
    # Keep only the drawing (paths, circles…) inside <svg …>…</svg>.
    match = _BODY.search(text)
    if match is None:
        raise template.TemplateSyntaxError(f"icon {name!r} is not an SVG file")
    return match.group(1).strip()


@register.simple_tag
def icon(name: str, label: str = "", size: int = 20, css: str = "") -> str:
    shape = _shape(name)
    a11y = format_html('role="img" aria-label="{}"', label) if label else mark_safe('aria-hidden="true"')
    return format_html(
        '<svg class="icon {}" width="{}" height="{}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false" {}>{}</svg>',
        css,
        size,
        size,
        a11y,
        mark_safe(shape),  # noqa: S308 - a vendored icon file checked by name, no user input
    )


@register.filter
def steps(value: str) -> list[str]:
    """``"Compte|Profil|Paiement"|steps`` → the names of a path's steps (components/steps.html)."""
    return [step.strip() for step in str(value).split("|") if step.strip()]
