"""French formatting filters available in every template."""

from decimal import Decimal

from django.template import Context, Template


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_amounts_are_written_the_french_way():
    assert render("{{ a|euros }}", a=Decimal("5")) == "5,00 €"
    assert render("{{ a|euros }}", a=Decimal("12.5")) == "12,50 €"
    assert render("{{ a|euros }}", a=Decimal("105000")) == "105\xa0000,00 €"
    assert render("{{ a|euros }}", a=0) == "0,00 €"
    assert render("{{ a|euros }}", a=None) == ""


def test_plurals_follow_the_french_rule():
    template = "{{ n }} place{{ n|pluriel }} restante{{ n|pluriel }}"
    assert [render(template, n=n) for n in (0, 1, 2)] == [
        "0 place restante",
        "1 place restante",
        "2 places restantes",
    ]
    assert render("{{ n }} journ{{ n|pluriel:'al,aux' }}", n=3) == "3 journaux"
    assert render("{{ items|length }} commune{{ items|pluriel }}", items=["a"]) == "1 commune"


def test_status_badges_are_coloured_by_meaning():
    assert [render("{{ s|tone }}", s=s) for s in ("done", "pending", "cancelled", "national")] == [
        "tone-ok",
        "tone-warn",
        "tone-bad",
        "tone-info",
    ]
