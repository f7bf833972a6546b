"""Rich text written by a CPTS team: the editor (the vendored Trix, ``static/vendor/trix``) and the
server's allow-list of HTML, enforced by nh3 (ammonia) on the way in and again on the way out.

A pure module at the bottom of the apps (like ``apps.missions``): the site's pages, news and home
text and the events' descriptions use it. Nothing outside the list survives: no <script>, no event
handlers, no style, no javascript: URL. Text typed without any tag is turned into paragraphs, so
older plain-text fields keep their line breaks. An image must be described: the caption typed
under it in the editor becomes its ``alt``; an image without one is refused by
``validate_described_images`` (French message under the field).

Images uploaded in the editor are stored by the site (several widths); the site registers, in its
``AppConfig.ready``, a finisher that gives them ``srcset`` (``register_html_finisher``). Every app
saving rich text calls ``finish_html`` so its images get the same renditions as the site's pages,
without importing the site (which sits above them).
"""

from __future__ import annotations

import html
import re

import nh3
from django import forms
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "s", "a", "ul", "ol", "li", "h2", "h3", "h4",
    "blockquote", "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td",
    "hr", "abbr", "sup", "sub", "div", "pre",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "srcset", "sizes", "loading", "decoding"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_TAG_NAMES = "|".join(sorted(ALLOWED_TAGS, key=len, reverse=True))
_HAS_TAG = re.compile(rf"</?(?:{_TAG_NAMES})(?:\s|/|>)", re.I)
_FIGURE = re.compile(r"<figure\b[^>]*>(.*?)</figure>", re.S | re.I)
_IMG = re.compile(r"<img\b([^>]*?)/?>", re.S | re.I)
_CAPTION = re.compile(r"<figcaption\b([^>]*)>(.*?)</figcaption>", re.S | re.I)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
RICH_HELP = gettext_lazy(
    "Titres, gras, italique, listes, liens et images (décrivez chaque image dans sa légende : elle "
    "est lue aux personnes aveugles). Tout script ou style est retiré."
)


def _caption_to_alt(match: re.Match) -> str:
    """Trix writes an image as <figure><img><figcaption>: a caption typed by the author (class
    ``attachment__caption--edited``) becomes the image's alt; the file name Trix shows when there
    is none is dropped (it describes nothing)."""
    body = match.group(1)
    caption = _CAPTION.search(body)
    # A caption Trix shows by itself (file name and size) has the class but not the "edited" one.
    trix_default = caption is not None and "attachment__caption" in caption.group(1)
    edited = caption is not None and (not trix_default or "attachment__caption--edited" in caption.group(1))
    text = " ".join(nh3.clean(caption.group(2), tags=set()).split()) if edited else ""
    body = _CAPTION.sub("", body)

    def with_alt(img: re.Match) -> str:
        attributes = img.group(1)
        if text and not _ALT.search(attributes):
            attributes += f' alt="{html.escape(html.unescape(text))}"'
        return f"<img{attributes}>"

    body = _IMG.sub(with_alt, body)
    figcaption = f"<figcaption>{text}</figcaption>" if text else ""
    return f"<figure>{body}{figcaption}</figure>"


def clean_html(value: str) -> str:
    """Return ``value`` reduced to the allowed HTML. Plain text becomes <p>/<br>."""
    value = (value or "").strip()
    if not value:
        return ""
    if not _HAS_TAG.search(value):
        value = linebreaks(value, autoescape=True)
    value = _FIGURE.sub(_caption_to_alt, value)
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


_FINISHERS: list = []


def register_html_finisher(finisher) -> None:
    """``finisher(html) -> html`` runs on rich text after cleaning, when it is saved (registered by
    an app above, e.g. the site's image renditions)."""
    if finisher not in _FINISHERS:
        _FINISHERS.append(finisher)


def finish_html(value: str) -> str:
    """``value`` cleaned (``clean_html``), then passed through every registered finisher: what an
    app stores for a rich field."""
    value = clean_html(value)
    for finisher in _FINISHERS:
        value = finisher(value)
    return value


def plain_text(value: str, limit: int = 200) -> str:
    """Text content of rich text, for meta descriptions."""
    text = nh3.clean(value or "", tags=set()).replace("&nbsp;", " ")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def undescribed_images(value: str) -> int:
    """How many images of ``value`` (once cleaned) have no alt text."""
    count = 0
    for img in _IMG.finditer(clean_html(value)):
        alt = _ALT.search(img.group(1))
        if alt is None or not "".join(part or "" for part in alt.groups()).strip():
            count += 1
    return count


def validate_described_images(value: str) -> None:
    """Raise ValidationError (French) when an image of ``value`` has no description."""
    missing = undescribed_images(value)
    if missing:
        raise ValidationError(
            _(
                "Décrivez chaque image dans sa légende (cliquez sur l'image) : ce texte est lu aux "
                "personnes aveugles. Image(s) sans description : %(n)d."
            )
            % {"n": missing}
        )


class RichTextarea(forms.Textarea):
    """A textarea that the editor replaces in the browser (``static/js/richtext.js``); without
    JavaScript it stays a textarea taking plain text or the allowed HTML. Images go to
    ``upload_url_name`` (the site's team upload)."""

    template_name = "richtext/widget.html"
    upload_url_name = "site:team_image_upload"

    def __init__(self, attrs=None):
        super().__init__({"rows": 10, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        try:
            upload_url = reverse(self.upload_url_name)
        except NoReverseMatch:
            upload_url = ""
        context["widget"]["attrs"]["data-rich-text"] = "1"
        context["widget"]["attrs"]["data-upload-url"] = upload_url
        return context


def make_rich(form: forms.BaseForm, *names: str) -> None:
    """Give the fields ``names`` of ``form`` the editor and the described-images check."""
    for name in names:
        field = form.fields.get(name)
        if field is None:
            continue
        field.widget = RichTextarea()
        field.help_text = RICH_HELP
        field.validators.append(validate_described_images)
