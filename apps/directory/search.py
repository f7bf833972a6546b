"""Search of the directory: PostgreSQL full text over normalised words (prefix matching, the name
weighing most), misspelt words corrected against the directory's own vocabulary with pg_trgm.
Assumes the connection is set to the CPTS's schema.

Cost is bounded whatever the query: one index-driven pass reads at most ``CAP + 1`` matches (id,
rank, normalised name), which are counted, ranked (relevance, then name) and paged in Python; a broader query
shows the best of the first ``CAP`` found and asks to be narrowed.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.expressions import RawSQL

from apps.geo.selectors import codes_within
from apps.geo.text import normalize, query_words

from .codes import PROFESSION_SYNONYMS
from .models import Entry, Place, Visibility

PUBLIC, MEMBERS, TEAM = "public", "members", "team"
_VISIBLE = {
    PUBLIC: [Visibility.PUBLIC],
    MEMBERS: [Visibility.PUBLIC, Visibility.MEMBERS],
    TEAM: [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.HIDDEN],
}
CAP = 500
MAX_WORDS = 8
# Words shorter than this are not corrected (too many near neighbours to be useful).
_CORRECT_MIN_LENGTH = 4
_CORRECTIONS_PER_WORD = 3


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
    return " ".join(dict.fromkeys(normalize(" ".join(p for p in parts if p)).split()))


def index_entry(entry: Entry, places) -> None:
    """Fill the entry's search fields (not saved)."""
    entry.search_title = normalize(entry.name)
    entry.search_document = build_search_document(entry, places)


_VOCABULARY_SQL = (
    "INSERT INTO directory_searchword (word) "
    "SELECT DISTINCT w FROM directory_entry, unnest(string_to_array(search_document, ' ')) AS w "
    "WHERE w <> '' AND length(w) <= 100 AND directory_entry.withdrawn_at IS NULL {where} "
    "ON CONFLICT (word) DO NOTHING"
)


def rebuild_vocabulary() -> None:
    """Recompute the vocabulary from every entry (after an import)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM directory_searchword")
        cursor.execute(_VOCABULARY_SQL.format(where=""))


def add_to_vocabulary(entry_ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_VOCABULARY_SQL.format(where="AND directory_entry.id = ANY(%s)"), [list(entry_ids)])


def correct(words: list[str], cursor) -> list[tuple[list[str], bool]]:
    """For each word, the tsquery terms to look for and whether the word was corrected.

    A complete word of the vocabulary that is not the last one is looked up exactly (cheap even
    for very common words such as ``saint``); the last word, or a word only the start of which is
    known, by prefix (``kine:*``); a word no indexed word starts with is replaced by the closest
    indexed words (trigram similarity), looked up exactly.
    """
    cursor.execute(
        # The first indexed word at or after w (byte order, as the pattern index is) starts with w
        # if any does: one index probe, where LIKE with a computed pattern would scan the index.
        "SELECT q.w, EXISTS (SELECT 1 FROM directory_searchword s WHERE s.word = q.w), "
        "starts_with(coalesce((SELECT s.word FROM directory_searchword s WHERE s.word ~>=~ q.w "
        "ORDER BY s.word USING ~<~ LIMIT 1), ''), q.w) "
        "FROM unnest(%s::text[]) AS q(w)",
        [words],
    )
    known = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    result = []
    for position, word in enumerate(words):
        exact, prefix = known.get(word, (False, False))
        if exact and position < len(words) - 1:
            result.append(([word], False))
        elif prefix or len(word) < _CORRECT_MIN_LENGTH:
            result.append(([f"{word}:*"], False))
        else:
            cursor.execute(
                "SELECT word FROM directory_searchword WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC, word LIMIT %s",
                [word, word, _CORRECTIONS_PER_WORD],
            )
            close = [row[0] for row in cursor.fetchall()]
            result.append((close, True) if close else ([f"{word}:*"], False))
    return result


@contextmanager
def _index_driven():
    """Run the enclosed queries with sequential scans discouraged: every search query is meant to
    start from an index (full text, or the name index for long lists), which the planner's default
    costs underrate on a cached table. Scoped to a transaction (SET LOCAL)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield cursor


def _tsquery(groups: list[tuple[list[str], bool]]) -> SearchQuery:
    terms = [terms[0] if len(terms) == 1 else "(" + " | ".join(terms) + ")" for terms, _corrected in groups]
    return SearchQuery(" & ".join(terms), search_type="raw", config="simple")


class SearchResults:
    """A page-able result list (Django's Paginator and DRF accept it): ``count()`` stops at CAP.

    Evaluated lazily in one short transaction: typo correction, then one statement that finds up
    to CAP + 1 matches, counts them, ranks them and returns the requested page's entries.
    """

    def __init__(self, base: QuerySet[Entry], words: list[str], *, prefetch: int = 20):
        self.base = base
        self.words = words
        self.prefetch = prefetch
        self.corrections: dict[str, list[str]] = {}
        self._capped: int | None = None
        # The matches' query (id, relevance, normalised name), at most CAP + 1 rows.
        self._found: tuple[str, tuple] | None = None
        self._ordered: QuerySet[Entry] | None = None
        self._first: list[Entry] = []

    def _evaluate(self) -> None:
        if self._capped is not None:
            return
        # One cursor for the whole first page: django-tenants sets the search_path once per cursor.
        if not self.words:
            # Browsing (filters only): alphabetical through the name index, in the database.
            self._ordered = self.base.order_by("name", "pk")
            with _index_driven():
                self._capped = self.base.order_by().values("pk")[: CAP + 1].count()
                self._first = list(self._ordered[: self.prefetch])
            return
        with _index_driven() as cursor:
            groups = correct(self.words, cursor)
            self.corrections = {
                word: [term.removesuffix(":*") for term in terms]
                for word, (terms, corrected) in zip(self.words, groups, strict=True)
                if corrected
            }
            query = _tsquery(groups)
            self._found = (
                self.base.filter(search_vector=query)
                .order_by()
                .annotate(relevance=SearchRank(F("search_vector"), query))
                .values_list("pk", "relevance", "search_title")[: CAP + 1]
            ).query.sql_with_params()
            self._first, found = self._ranked_page(0, self.prefetch)
            self._capped = found

    def _ranked_page(self, start: int, stop: int) -> tuple[list[Entry], int]:
        """Entries ``start:stop`` of the matches ranked by relevance then name, and how many
        matches were found (at most CAP + 1). Beyond CAP matches the query is too broad to rank
        them all: the first CAP found are ranked (and the page says to narrow the search)."""
        found_sql, params = self._found
        table = connection.ops.quote_name(Entry._meta.db_table)
        columns = ", ".join(f"e.{connection.ops.quote_name(field.column)}" for field in _LISTED_FIELDS)
        # Only the ORM's own SQL and quoted model names are interpolated; values go as parameters.
        sql = (
            f"WITH found (id, relevance, title) AS MATERIALIZED ({found_sql}) "  # noqa: S608
            f"SELECT {columns}, page.found FROM ("
            "SELECT id, relevance, title, (SELECT count(*) FROM found) AS found FROM found "
            "ORDER BY relevance DESC, title, id LIMIT %s OFFSET %s"
            f") AS page JOIN {table} AS e ON e.id = page.id "
            "ORDER BY page.relevance DESC, page.title, page.id"
        )
        entries = list(Entry.objects.raw(sql, (*params, max(stop - start, 0), start)))
        return entries, (entries[0].found if entries else 0)

    def count(self) -> int:
        self._evaluate()
        return min(self._capped or 0, CAP)

    @property
    def is_capped(self) -> bool:
        self._evaluate()
        return (self._capped or 0) > CAP

    def __getitem__(self, key):
        self._evaluate()
        if isinstance(key, slice):
            start, stop = key.start or 0, key.stop if key.stop is not None else CAP
            stop = min(stop, CAP)
            if stop <= len(self._first) or (stop <= self.prefetch and start < stop):
                return self._first[start:stop]
            if start >= stop:
                return []
            with _index_driven():
                if self._ordered is not None:
                    return list(self._ordered[start:stop])
                return self._ranked_page(start, stop)[0]
        return self[key : key + 1][0]

    def __iter__(self):
        return iter(self[:CAP])

    def __len__(self) -> int:
        return self.count()


# What a result list shows: every field but the search columns (the largest by far).
_LISTED_FIELDS = [
    field for field in Entry._meta.concrete_fields if field.name not in {"search_document", "search_vector"}
]


def visible_entries(audience: str = PUBLIC) -> QuerySet[Entry]:
    return Entry.objects.filter(visibility__in=_VISIBLE[audience], withdrawn_at__isnull=True)


def search_entries(
    query: str = "",
    *,
    audience: str = PUBLIC,
    family: str = "",
    profession: str = "",
    commune: str = "",
    accepts_new_patients: bool | None = None,
    page_size: int = 20,
) -> SearchResults:
    """Entries matching every word of ``query`` (accent/case-insensitive, word prefixes, typos
    corrected) and the filters; best first, or by name when there is no query or too many results."""
    entries = visible_entries(audience)
    if family:
        entries = entries.filter(family=family)
    if profession:
        entries = entries.filter(profession_code=profession)
    if commune:
        # A city holds its arrondissements and former codes (Paris: 75101–75120).
        within = sorted(codes_within([commune]))
        entries = entries.filter(Exists(Place.objects.filter(entry=OuterRef("pk"), commune_id__in=within)))
    if accepts_new_patients is not None:
        entries = entries.filter(accepts_new_patients=accepts_new_patients)
    # A handful of words is a search; more is a pasted text, each unknown word costing a lookup.
    return SearchResults(entries, query_words(query)[:MAX_WORDS], prefetch=page_size)


def naive_search(query: str) -> QuerySet[Entry]:
    """The baseline the benchmark compares with: one accent-insensitive ``ILIKE '%word%'`` scan per
    word over the raw columns, no index usable."""
    entries = Entry.objects.filter(visibility=Visibility.PUBLIC).annotate(
        hay=RawSQL(
            "public.unaccent(name || ' ' || profession || ' ' || specialty || ' ' || finess_category)", []
        )
    )
    for word in query_words(query):
        entries = entries.filter(hay__icontains=word)
    return entries.order_by("name", "pk")
