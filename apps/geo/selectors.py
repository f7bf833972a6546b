"""Reads of the communes reference (public schema, visible from every CPTS schema)."""

from __future__ import annotations

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Q, QuerySet

from .models import Commune
from .text import normalize, query_words


def search_communes(query: str, *, limit: int = 20) -> QuerySet[Commune] | list[Commune]:
    """Communes (and arrondissements) by INSEE code, postcode or name (accent/case-insensitive,
    prefix and typo tolerant). Largest population first among equally good matches."""
    text = (query or "").strip()
    base = Commune.objects.filter(is_current=True)
    if not text:
        return []
    compact = text.replace(" ", "").upper()
    if len(compact) == 5 and (compact.isdigit() or compact[:2] in ("2A", "2B")):
        return list(
            base.filter(Q(code=compact) | Q(postcodes__contains=[compact])).order_by("-population")[:limit]
        )
    if compact.isdigit() and 2 <= len(compact) < 5:
        return list(base.filter(code__startswith=compact).order_by("code")[:limit])
    words = normalize(text)
    if not words:
        return []
    expanded = " ".join(query_words(text))
    prefix = list(
        base.filter(Q(search_name__startswith=expanded) | Q(search_name__contains=f" {expanded}")).order_by(
            "-population"
        )[:limit]
    )
    if prefix:
        return prefix
    return list(
        base.annotate(score=TrigramWordSimilarity(expanded, "search_name"))
        .filter(search_name__trigram_word_similar=expanded)
        .order_by("-score", "-population")[:limit]
    )


def get_communes(codes) -> dict[str, Commune]:
    return {c.code: c for c in Commune.objects.filter(code__in=list(codes))}
