"""Reads of the communes reference (public schema, visible from every CPTS schema)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from .models import Canton, Commune, CommuneCentre, Epci
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


def codes_within(codes: Iterable[str]) -> set[str]:
    """Every code a place inside the given communes may carry: the codes themselves, the
    arrondissements of a city among them (Paris 75056, Lyon 69123, Marseille 13055 hold 75101–75120,
    69381–69389, 13201–13216), and the former or delegated codes merged into them. An arrondissement
    does not bring in its city (nor its sister arrondissements).

    The one definition of "lies within" for every use of a territory: import filters, the national
    split, the directory's commune filter, the counters."""
    codes = {code for code in codes if code}
    result = set(codes)
    for aliases in Commune.objects.filter(code__in=codes).values_list("aliases", flat=True):
        result.update(aliases)
    result.update(Commune.objects.filter(parent_code__in=codes).values_list("code", flat=True))
    return result


def reference_codes(codes: Iterable[str]) -> dict[str, str]:
    """Each code → the code of the reference commune it designates today: itself when the reference
    knows it (a commune or an arrondissement, the most precise), else the current commune whose
    former or delegated codes include it. Unknown codes are left out."""
    codes = {code for code in codes if code}
    result = {code: code for code in Commune.objects.filter(code__in=codes).values_list("code", flat=True)}
    missing = codes - set(result)
    if missing:
        merged = Commune.objects.filter(aliases__overlap=sorted(missing), is_current=True).order_by("code")
        for code, aliases in merged.values_list("code", "aliases"):
            for alias in set(aliases) & missing:
                result.setdefault(alias, code)
    return result


def commune_for_address(postcode: str, city: str = "") -> Commune | None:
    """The commune of a postal address: among the current communes serving ``postcode``, the one
    named ``city`` if any, the arrondissement rather than its city (Paris 15e for 75015: the most
    precise, and it lies within Paris), else the most populated."""
    postcode = (postcode or "").strip()
    if not (len(postcode) == 5 and postcode.isdigit()):
        return None
    candidates = list(
        Commune.objects.filter(postcodes__contains=[postcode], is_current=True)
        .annotate(
            precision=Case(
                When(kind=Commune.Kind.ARRONDISSEMENT, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("precision", "-population")
    )
    wanted = normalize(city)
    # "Paris" names the city and each of its arrondissements.
    named_codes = {c.code for c in candidates if wanted and c.search_name == wanted}
    named = [c for c in candidates if c.code in named_codes or c.parent_code in named_codes]
    return (named or candidates or [None])[0]


def search_epcis(query: str, *, limit: int = 5) -> list[Epci]:
    """Intercommunalités whose name holds the query's words (accent/case-insensitive), or that
    count a commune matching it among their members (« Lorient » finds Lorient Agglomération, a
    postcode finds the EPCI of its commune). Largest population first."""
    text = (query or "").strip()
    words = " ".join(query_words(text))
    if len(words) < 2 and not text.isdigit():
        return []
    communes = [c.code for c in search_communes(text, limit=3)]
    return list(
        Epci.objects.filter(Q(search_name__contains=words) | Q(members__overlap=communes)).order_by(
            "-population"
        )[:limit]
    )


def get_epci(code: str) -> Epci | None:
    return Epci.objects.filter(code=code).first()


def search_cantons(query: str, *, limit: int = 5) -> list[Canton]:
    """Cantons whose name holds the query's words (accent/case-insensitive) or whose code is the
    query, or that count a commune matching it (a postcode, an INSEE code, a commune's name)."""
    text = (query or "").strip()
    words = " ".join(query_words(text))
    if len(words) < 2 and not text.isdigit():
        return []
    communes = [c.code for c in search_communes(text, limit=3)]
    return list(
        Canton.objects.filter(
            Q(search_name__contains=words) | Q(code=text.upper()) | Q(members__overlap=communes)
        ).order_by("department", "name")[:limit]
    )


def find_canton(value: str) -> list[Canton]:
    """The cantons a typed value designates: the canton of that code, else those of that exact name
    (accents and case ignored; a name may exist in several departments)."""
    text = (value or "").strip()
    if not text:
        return []
    by_code = list(Canton.objects.filter(code=text.upper()))
    if by_code:
        return by_code
    return list(Canton.objects.filter(search_name=normalize(text)).order_by("department"))


EARTH_RADIUS_KM = 6371.0


def centres_of(codes: Iterable[str]) -> dict[str, tuple[float, float]]:
    """(latitude, longitude) of the given communes that have a known centre."""
    rows = CommuneCentre.objects.filter(code__in=[c for c in codes if c]).values_list(
        "code", "latitude", "longitude"
    )
    return {code: (lat, lon) for code, lat, lon in rows}


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points, in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
