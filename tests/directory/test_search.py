"""Search: accents, case, prefixes, abbreviations, typos, filters, audiences."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.directory import services
from apps.directory.search import MEMBERS, PUBLIC, naive_search, search_entries
from tenants.actors import SYSTEM


def _entry(name, profession="", code="", *, city="", commune=None, postcode="", family="liberal", **extra):
    kind = "professional" if family == "liberal" else "structure"
    fields = {"kind": kind, "family": family, "name": name, "profession": profession, "profession_code": code}
    fields.update(extra)
    place = {"city": city, "commune_id": commune, "postcode": postcode}
    return services.create_entry(actor=SYSTEM, fields=fields, place=place)


@pytest.fixture
def directory(community_a):
    with schema_context(community_a.schema_name):
        entries = {
            "kine": _entry("Hélène Martin", "Masseur-Kinésithérapeute", "70", city="Saint-Étienne",
                           commune="42218", postcode="42000", accepts_new_patients=True),
            "kine_lyon": _entry("Paul Durand", "Masseur-Kinésithérapeute", "70", city="Lyon", commune="69123",
                                postcode="69001", accepts_new_patients=False),
            "ortho": _entry("Zoé Lefèvre", "Orthophoniste", "91", city="Saint-Chamond", commune="42207"),
            "gp": _entry("Jean Dupont", "Médecin", "10", specialty="Spécialiste en Médecine Générale",
                         specialty_code="SM53", city="Saint-Étienne", commune="42218"),
            "pharmacy": _entry("Pharmacie de l'Œuvre", family="pharmacy", city="Saint-Étienne", commune="42218"),
            "members_only": _entry("Claire Secret", "Infirmier", "60", city="Saint-Étienne", commune="42218",
                                   visibility="members"),
            "hidden": _entry("Marc Caché", "Infirmier", "60", city="Saint-Étienne", commune="42218",
                             visibility="hidden"),
        }  # fmt: skip
        yield {key: entry.pk for key, entry in entries.items()}


def _found(query="", **filters):
    return [entry.pk for entry in search_entries(query, **filters)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kine", {"kine", "kine_lyon"}),
        ("KINÉSITHÉRAPEUTE", {"kine", "kine_lyon"}),
        ("kinesitherapeute st etienne", {"kine"}),
        ("st etienne kine", {"kine"}),
        ("helene", {"kine"}),
        ("HÉLÈNE martin", {"kine"}),
        ("lefevre", {"ortho"}),
        ("oeuvre", {"pharmacy"}),
        ("generaliste", {"gp"}),
        ("medecine generale", {"gp"}),
        ("42000", {"kine"}),
    ],
)
def test_accents_case_prefixes_and_abbreviations(directory, community_a, query, expected):
    with schema_context(community_a.schema_name):
        assert set(_found(query)) == {directory[key] for key in expected}


@pytest.mark.parametrize(
    ("query", "expected"),
    [("kinesiterapeute", "kine"), ("orthophonsite", "ortho"), ("dupond", "gp"), ("marrtin", "kine")],
)
def test_typos_still_find_the_entry_first(directory, community_a, query, expected):
    with schema_context(community_a.schema_name):
        assert _found(query)[0] == directory[expected]


def test_filters_combine_with_the_query(directory, community_a):
    with schema_context(community_a.schema_name):
        assert _found("kine", accepts_new_patients=True) == [directory["kine"]]
        assert _found("kine", commune="69123") == [directory["kine_lyon"]]
        assert _found(profession="91") == [directory["ortho"]]
        assert _found(family="pharmacy") == [directory["pharmacy"]]
        assert _found("zzzzzz") == []


def test_the_public_never_sees_members_only_or_hidden_entries(directory, community_a):
    with schema_context(community_a.schema_name):
        assert directory["members_only"] not in _found("infirmier", audience=PUBLIC)
        assert _found("infirmier", audience=MEMBERS) == [directory["members_only"]]
        assert directory["hidden"] not in _found(audience=MEMBERS)


def test_without_a_query_entries_come_by_name(directory, community_a):
    with schema_context(community_a.schema_name):
        names = [e.name for e in search_entries("")]
        assert names == sorted(names)


def test_the_naive_baseline_finds_the_same_simple_cases(directory, community_a):
    with schema_context(community_a.schema_name):
        assert [e.pk for e in naive_search("kinesitherapeute")] == [
            directory["kine"],
            directory["kine_lyon"],
        ]


def _bulk(community, n, name="Infirmière"):
    from apps.directory.models import Entry
    from apps.directory.search import index_entry, rebuild_vocabulary

    with schema_context(community.schema_name):
        entries = []
        for i in range(n):
            entry = Entry(
                kind="professional", family="liberal", name=f"{name} {i:04d}", profession="Infirmier"
            )
            index_entry(entry, [])
            entries.append(entry)
        Entry.objects.bulk_create(entries)
        rebuild_vocabulary()


def test_pages_cover_every_result_once_in_order(community_a):
    from django.core.paginator import Paginator

    _bulk(community_a, 45)
    with schema_context(community_a.schema_name):
        paginator = Paginator(search_entries("infirmiere", page_size=20), 20)
        assert (paginator.count, paginator.num_pages) == (45, 3)
        names = [e.name for number in paginator.page_range for e in paginator.page(number).object_list]
    assert names == [f"Infirmière {i:04d}" for i in range(45)]


def test_a_too_broad_query_is_capped_and_says_so(community_a):
    from apps.directory.search import CAP

    _bulk(community_a, CAP + 5)
    with schema_context(community_a.schema_name):
        results = search_entries("infirmiere")
        assert results.count() == CAP and results.is_capped
        assert len(results[CAP - 20 : CAP]) == 20
        browse = search_entries("")
        assert browse.count() == CAP and browse.is_capped
        assert [e.name for e in browse[:3]] == ["Infirmière 0000", "Infirmière 0001", "Infirmière 0002"]


def test_each_word_is_looked_up_exactly_by_prefix_or_corrected(directory, community_a):
    from django.db import connection

    from apps.directory.search import correct

    with schema_context(community_a.schema_name), connection.cursor() as cursor:
        groups = correct(["saint", "kin", "zzzz", "orthophonste"], cursor)
    assert groups[0] == (["saint"], False)  # a complete word before the last: exact
    assert groups[1] == (["kin:*"], False)  # only the start of indexed words: prefix
    assert groups[2] == (["zzzz:*"], False)  # nothing close: left as typed, finds nothing
    assert groups[3][1] is True and "orthophoniste" in groups[3][0]


def test_the_search_index_keeps_no_pending_list(community_a):
    """A GIN pending list is scanned by every search until the next vacuum (docs/directory.md)."""
    from django.db import connection

    with schema_context(community_a.schema_name), connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'directory_entry_fts' AND n.nspname = %s",
            [community_a.schema_name],
        )
        assert cursor.fetchone()[0] == ["fastupdate=off"]
