"""Rich text written by a CPTS team: a small allow-list of HTML, enforced by nh3 (ammonia).

Nothing outside the list survives: no <script>, no event handlers, no style, no javascript: URL.
Text typed without any tag is turned into paragraphs, so the team can write plain text too.
"""

from __future__ import annotations

import re

import nh3
from django.utils.html import linebreaks

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "s", "a", "ul", "ol", "li", "h2", "h3", "h4",
    "blockquote", "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td",
    "hr", "abbr", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_TAG_NAMES = "|".join(sorted(ALLOWED_TAGS, key=len, reverse=True))
_HAS_TAG = re.compile(rf"</?(?:{_TAG_NAMES})(?:\s|/|>)", re.I)


def clean_html(value: str) -> str:
    """Return ``value`` reduced to the allowed HTML. Plain text becomes <p>/<br>."""
    value = (value or "").strip()
    if not value:
        return ""
    if not _HAS_TAG.search(value):
        value = linebreaks(value, autoescape=True)
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def plain_text(value: str, limit: int = 200) -> str:
    """Text content of rich text, for meta descriptions."""
    text = nh3.clean(value or "", tags=set()).replace("&nbsp;", " ")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
