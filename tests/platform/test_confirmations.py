"""Every destructive button of every page asks for confirmation before it acts (static/js/confirm.js
reads ``data-confirm`` on the button or its form), and no page relies on inline event handlers."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
DESTRUCTIVE = re.compile(
    r"\b(supprimer|retirer|suspendre|fermer|rembourser|annuler|révoquer|remplacer le jeton)\b", re.I
)
FORM = re.compile(r"(<form\b[^>]*>)(.*?)</form>", re.S | re.I)
BUTTON = re.compile(r"(<button\b[^>]*>)(.*?)</button>", re.S | re.I)


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>|\{[{%].*?[%}]\}", " ", html)


def _unconfirmed_buttons() -> list[str]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        source = path.read_text()
        for form_tag, body in FORM.findall(source):
            if "post" not in form_tag.lower():
                continue
            for button_tag, label in BUTTON.findall(body):
                if DESTRUCTIVE.search(_visible_text(label)) and "data-confirm" not in button_tag + form_tag:
                    found.append(f"{path.relative_to(TEMPLATES)}: {_visible_text(label).split()}")
    return found


def test_every_destructive_button_asks_for_confirmation():
    assert _unconfirmed_buttons() == []


def test_no_template_uses_an_inline_event_handler():
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"\son(submit|click|change|load)=", path.read_text(), re.I)
    ]
    assert offenders == []
