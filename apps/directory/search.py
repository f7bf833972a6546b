"""Search of the directory: PostgreSQL full text (prefix matching) over a normalised document,
with a pg_trgm fallback for typos. Assumes the connection is set to the CPTS's schema."""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db.models import F, Q, QuerySet, Value

from apps.geo.text import normalize, query_words

from .codes import PROFESSION_SYNONYMS
from .models import Entry, Visibility

# Audiences and what they may see (the team sees hidden entries in its own pages only).
PUBLIC, MEMBERS, TEAM = "public", "members", "team"
_VISIBLE = {
    PUBLIC: [Visibility.PUBLIC],
    MEMBERS: [Visibility.PUBLIC, Visibility.MEMBERS],
    TEAM: [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.HIDDEN],
}
# Below this many letters a misspelt word matches too much to be useful.
_FUZZY_MIN_LENGTH = 4


def build_search_document(entry: Entry, places) -> str:
    """What the search looks into, normalised: names, profession and its usual words, specialty,
    family, category, places (names, cities, postcodes)."""
    parts = [
        entry.name,
        entry.first_name,
        entry.last_name,
        entry.profession,
        PROFESSION_SYNONYMS.get(entry.profession_code, ""),
        entry.specialty,
        PROFESSION_SYNONYMS.get(entry.specialty_code, ""),
        entry.finess_category,
        entry.get_family_display() if entry.family else "",
        " ".join(entry.languages or []),
    ]
    for place in places:
        parts += [place.name, place.city, place.postcode]
    words: list[str] = []
    for word in normalize(" ".join(p for p in parts if p)).split():
        if word not in words:
            words.append(word)
    return " ".join(words)


def visible_entries(audience: str = PUBLIC) -> QuerySet[Entry]:
    return Entry.objects.filter(visibility__in=_VISIBLE[audience])


def search_entries(
    query: str = "",
    *,
    audience: str = PUBLIC,
    family: str = "",
    profession: str = "",
    commune: str = "",
    accepts_new_patients: bool | None = None,
) -> QuerySet[Entry]:
    """Entries matching ``query`` (accent/case-insensitive, word prefixes, typos) and the filters,
    best first (then by name). An empty query lists by name."""
    entries = visible_entries(audience)
    if family:
        entries = entries.filter(family=family)
    if profession:
        entries = entries.filter(profession_code=profession)
    if commune:
        entries = entries.filter(places__commune_id=commune).distinct()
    if accepts_new_patients is not None:
        entries = entries.filter(accepts_new_patients=accepts_new_patients)
    words = query_words(query)
    if not words:
        return entries.order_by("name", "pk")
    tsquery = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="simple")
    exact = entries.filter(search_vector=tsquery)
    if exact.exists():
        return exact.annotate(rank=SearchRank(F("search_vector"), tsquery)).order_by("-rank", "name", "pk")
    # Nothing matches every word as typed: let each word match by prefix or by trigram similarity.
    condition = Q()
    score = Value(0.0)
    for word in words:
        word_q = SearchQuery(f"{word}:*", search_type="raw", config="simple")
        if len(word) >= _FUZZY_MIN_LENGTH:
            condition &= Q(search_vector=word_q) | Q(search_document__trigram_word_similar=word)
            score = score + TrigramWordSimilarity(Value(word), "search_document")
        else:
            condition &= Q(search_vector=word_q)
    return entries.filter(condition).annotate(rank=score).order_by("-rank", "name", "pk")


def naive_search(query: str) -> QuerySet[Entry]:
    """The baseline the benchmark compares with: one accent-insensitive ``ILIKE '%word%'`` scan per
    word over the raw columns, no index usable."""
    from django.db.models.expressions import RawSQL

    entries = Entry.objects.filter(visibility=Visibility.PUBLIC).annotate(
        hay=RawSQL(
            "public.unaccent(name || ' ' || profession || ' ' || specialty || ' ' || finess_category)", []
        )
    )
    for word in query_words(query):
        entries = entries.filter(hay__icontains=word)
    return entries.order_by("name", "pk")
