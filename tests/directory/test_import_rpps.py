"""Imports of the Annuaire Santé professionals extract."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from apps.directory.importing import BrokenFile, run_import
from apps.directory.models import Entry, Place
from tenants.actors import SYSTEM
from tests.factories.directory_files import PROFESSIONS, rpps_file, rpps_number, rpps_row

KINE = PROFESSIONS[6]


def _rows():
    return [
        rpps_row(rpps=rpps_number(1), last_name="Martin", first_name="Hélène", commune="75115",
                 postcode="75015", city="Paris 15e"),
        rpps_row(rpps=rpps_number(2), last_name="Noël", first_name="François", commune="42218",
                 postcode="42000", city="Saint-Étienne", profession=KINE),
        # Second place of practice of the same professional.
        rpps_row(rpps=rpps_number(2), last_name="Noël", first_name="François", commune="42218",
                 postcode="42100", city="Saint-Étienne", profession=KINE, site_id="S2", number="4",
                 street="place Jean Jaurès"),
        # Outside the territory (Lyon): ignored.
        rpps_row(rpps=rpps_number(3), last_name="Dupont", first_name="Luc", commune="69123",
                 postcode="69001", city="Lyon"),
        rpps_row(rpps="123456789", last_name="D'Artagnan", first_name="Zoé", commune="42218",
                 postcode="42000", city="Saint-Étienne", id_type="0", profession=PROFESSIONS[5]),
    ]  # fmt: skip


def _write(tmp_path, content: bytes, name="ps.txt"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def _import(community, **files):
    with schema_context(community.schema_name):
        return run_import(actor=None, **files)


@pytest.mark.parametrize(("columns", "encoding"), [(56, "utf-8"), (52, "cp1252")])
def test_both_generations_and_encodings_import_the_territory_only(territory_a, tmp_path, columns, encoding):
    path = _write(tmp_path, rpps_file(_rows(), columns=columns, encoding=encoding))
    report = _import(territory_a, rpps_path=path)["rpps"]
    # Five data lines: the header line names the columns and is not counted.
    assert (report["lines_read"], report["kept"], report["outside_territory"]) == (5, 4, 1)
    assert (report["created"], report["updated"], report["unchanged"], report["rejected_count"]) == (
        3,
        0,
        0,
        0,
    )
    with schema_context(territory_a.schema_name):
        helene = Entry.objects.get(identifier=rpps_number(1))
        assert (helene.name, helene.identifier_type, helene.national_id) == (
            "Hélène Martin",
            "rpps",
            "8" + rpps_number(1),
        )
        # An arrondissement code lands in the territory that picked the city.
        assert helene.places.get().commune_id == "75115"
        francois = Entry.objects.get(identifier=rpps_number(2))
        assert francois.profession == "Masseur-Kinésithérapeute"
        assert sorted(p.address for p in francois.places.all()) == [
            "12 rue de la République",
            "4 place Jean Jaurès",
        ]
        assert Entry.objects.get(identifier="123456789").identifier_type == "adeli"
        assert not Entry.objects.filter(identifier=rpps_number(3)).exists()


def test_a_second_import_of_the_same_file_changes_nothing(territory_a, tmp_path):
    path = _write(tmp_path, rpps_file(_rows()))
    _import(territory_a, rpps_path=path)
    with schema_context(territory_a.schema_name):
        before = {e.pk: (e.updated_at, e.imported_hash) for e in Entry.objects.all()}
        places_before = set(Place.objects.values_list("pk", flat=True))
    report = _import(territory_a, rpps_path=path)["rpps"]
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 3)
    with schema_context(territory_a.schema_name):
        assert {e.pk: (e.updated_at, e.imported_hash) for e in Entry.objects.all()} == before
        assert set(Place.objects.values_list("pk", flat=True)) == places_before


def test_a_changed_line_updates_its_entry_but_manual_edits_survive(territory_a, tmp_path):
    rows = _rows()
    _import(territory_a, rpps_path=_write(tmp_path, rpps_file(rows)))
    with schema_context(territory_a.schema_name):
        helene = Entry.objects.get(identifier=rpps_number(1))
        helene.name = "Dr Hélène Martin-Durand"
        helene.locked_fields = ["name"]
        helene.save()
    rows[0]["Nom d'exercice"] = "Martin-Durand"
    rows[0]["Téléphone (coord. structure)"] = "0611223344"
    report = _import(territory_a, rpps_path=_write(tmp_path, rpps_file(rows), "ps2.txt"))["rpps"]
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 2)
    with schema_context(territory_a.schema_name):
        helene = Entry.objects.get(identifier=rpps_number(1))
        assert helene.name == "Dr Hélène Martin-Durand"
        assert helene.last_name == "Martin-Durand"
        assert helene.places.get().phone == "06 11 22 33 44"


def test_bad_lines_are_reported_by_number_and_good_lines_import(territory_a, tmp_path):
    rows = _rows()
    rows[0]["Identifiant PP"] = "10000000000"  # wrong Luhn key
    rows[4]["Type d'identifiant PP"] = "5"
    content = rpps_file(rows).replace(b"LYON|", b"LYON|extra|", 1)
    content += b"0|123|truncated\r\n"
    report = _import(territory_a, rpps_path=_write(tmp_path, content))["rpps"]
    assert report["rejected"] == [
        {"line": 2, "reason": "numéro RPPS invalide : 10000000000"},
        {"line": 5, "reason": "57 colonnes au lieu de 56"},
        {"line": 6, "reason": "type d'identifiant inconnu : 5"},
        {"line": 7, "reason": "3 colonnes au lieu de 56"},
    ]
    assert report["created"] == 1
    with schema_context(territory_a.schema_name):
        assert list(Entry.objects.values_list("identifier", flat=True)) == [rpps_number(2)]


@pytest.mark.parametrize(
    "content",
    [
        b"nom;prenom;ville\nMartin;Paul;Paris\n",
        b"",
        "\ufeffType d'identifiant PP|Identifiant PP|".encode(),
    ],
)
def test_a_file_that_is_not_an_extract_imports_nothing(territory_a, tmp_path, content):
    with pytest.raises(BrokenFile):
        _import(territory_a, rpps_path=_write(tmp_path, content))
    with schema_context(territory_a.schema_name):
        assert Entry.objects.count() == 0


def test_a_structurally_broken_file_changes_nothing_even_with_good_lines(territory_a, tmp_path):
    _import(territory_a, rpps_path=_write(tmp_path, rpps_file(_rows())))
    with schema_context(territory_a.schema_name):
        before = sorted(Entry.objects.values_list("identifier", "imported_hash"))
    rows = _rows()
    rows[0]["Nom d'exercice"] = "Changé"
    good = rpps_file(rows)
    # Cut in the middle of every other line, as a botched transfer would.
    damaged = b"\r\n".join(
        line[: len(line) // 2] if i % 2 else line for i, line in enumerate(good.split(b"\r\n"))
    )
    damaged += b"\r\n" + b"\r\n".join(b"x|y|z" for _ in range(30))
    with pytest.raises(BrokenFile, match="format attendu"):
        _import(territory_a, rpps_path=_write(tmp_path, damaged, "bad.txt"))
    with schema_context(territory_a.schema_name):
        assert sorted(Entry.objects.values_list("identifier", "imported_hash")) == before


def test_an_import_in_a_never_writes_b(territory_a, community_b, tmp_path):
    with schema_context(community_b.schema_name):
        assert Entry.objects.count() == 0
    _import(territory_a, rpps_path=_write(tmp_path, rpps_file(_rows())))
    with schema_context(community_b.schema_name):
        assert Entry.objects.count() == 0
        assert Place.objects.count() == 0
    with schema_context(territory_a.schema_name):
        assert Entry.objects.count() == 3


def test_the_command_imports_for_the_named_community(territory_a, tmp_path, capsys):
    path = _write(tmp_path, rpps_file(_rows()))
    call_command("import_directory", community="alpha", rpps=path)
    out = capsys.readouterr().out
    assert "Annuaire Santé (professionnels) — ps.txt" in out
    assert re.search(r"Fiches créées +3\n", out) and re.search(r"Lignes de données lues \(.*\) +5\n", out)
    with schema_context(territory_a.schema_name):
        assert Entry.objects.count() == 3


def test_an_empty_territory_refuses_to_import(community_a, tmp_path):
    from apps.territory.models import TerritoryCommune

    with schema_context(community_a.schema_name):
        TerritoryCommune.objects.all().delete()
    with pytest.raises(BrokenFile, match="communes du territoire"):
        _import(community_a, rpps_path=_write(tmp_path, rpps_file(_rows())))


def test_an_entry_missing_from_the_new_file_is_withdrawn_and_comes_back_when_listed_again(
    territory_a, tmp_path
):
    from apps.directory import services
    from apps.directory.search import search_entries

    rows = _rows()
    first = _import(territory_a, rpps_path=_write(tmp_path, rpps_file(rows)))["rpps"]
    assert first["created"] == 3 and first["withdrawn"] == 0
    with schema_context(territory_a.schema_name):
        manual = services.create_entry(
            actor=SYSTEM,
            fields={
                "kind": "professional",
                "family": "liberal",
                "name": "Ada Saisie",
                "profession": "Infirmier",
            },
            place={"city": "Saint-Étienne", "commune_id": "42218"},
        )
    # Hélène Martin retired: she is no longer in the national file.
    without_helene = [row for row in rows if row["Identifiant PP"] != rpps_number(1)]
    second = _import(territory_a, rpps_path=_write(tmp_path, rpps_file(without_helene), "ps2.txt"))["rpps"]
    assert (second["withdrawn"], second["unchanged"]) == (1, 2)
    with schema_context(territory_a.schema_name):
        helene = Entry.objects.get(identifier=rpps_number(1))
        assert helene.withdrawn_at is not None  # kept for the record, out of the directory
        assert [e.name for e in search_entries("martin")] == []
        assert Entry.objects.get(pk=manual.pk).withdrawn_at is None  # typed by the team: never withdrawn
        assert "Ada Saisie" in [e.name for e in search_entries("ada")]
    third = _import(territory_a, rpps_path=_write(tmp_path, rpps_file(rows), "ps3.txt"))["rpps"]
    assert (third["updated"], third["withdrawn"]) == (1, 0)
    with schema_context(territory_a.schema_name):
        assert Entry.objects.get(identifier=rpps_number(1)).withdrawn_at is None
        assert [e.name for e in search_entries("martin")] == ["Hélène Martin"]


def test_a_file_missing_too_many_entries_withdraws_none_and_says_why(territory_a, tmp_path):
    from apps.directory.importing.common import WITHDRAW_ALWAYS_UP_TO

    many = [
        rpps_row(rpps=rpps_number(100 + i), last_name=f"Nom{i}", first_name="Luc", commune="42218",
                 postcode="42000", city="Saint-Étienne")
        for i in range(WITHDRAW_ALWAYS_UP_TO + 10)
    ]  # fmt: skip
    _import(territory_a, rpps_path=_write(tmp_path, rpps_file(many)))
    partial = _import(territory_a, rpps_path=_write(tmp_path, rpps_file(many[:5]), "partial.txt"))["rpps"]
    assert partial["withdrawn"] == 0
    assert "semble partiel" in partial["warnings"][0] and "25 fiches" in partial["warnings"][0]
    with schema_context(territory_a.schema_name):
        assert not Entry.objects.filter(withdrawn_at__isnull=False).exists()


def test_the_team_sees_the_withdrawn_entries_and_charlie_gets_404(
    territory_a, tmp_path, alice, charlie, client_as
):
    from tests.conftest import HOST_A

    rows = _rows()
    _import(territory_a, rpps_path=_write(tmp_path, rpps_file(rows)))
    without_helene = [row for row in rows if row["Identifiant PP"] != rpps_number(1)]
    _import(territory_a, rpps_path=_write(tmp_path, rpps_file(without_helene), "ps2.txt"))
    page = client_as(alice, HOST_A).get("/equipe/annuaire/")
    assert page.status_code == 200
    assert "Fiches retirées des extraits nationaux (1)" in page.text and "Hélène Martin" in page.text
    assert client_as(charlie, HOST_A).get("/equipe/annuaire/").status_code == 404


def test_a_professional_whose_line_is_rejected_for_a_missing_name_is_not_withdrawn(territory_a, tmp_path):
    rows = _rows()
    _import(territory_a, rpps_path=_write(tmp_path, rpps_file(rows)))
    damaged = [
        dict(row, **{"Nom d'exercice": ""}) if row["Identifiant PP"] == rpps_number(1) else row
        for row in rows
    ]
    report = _import(territory_a, rpps_path=_write(tmp_path, rpps_file(damaged), "ps2.txt"))["rpps"]
    assert report["rejected_count"] == 1 and report["withdrawn"] == 0
    assert "still_listed" not in report
    with schema_context(territory_a.schema_name):
        assert Entry.objects.get(identifier=rpps_number(1)).withdrawn_at is None


def _bad_key(seed: int) -> str:
    good = rpps_number(seed)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def _saint_etienne(seed: int, *, rpps: str | None = None) -> dict:
    return rpps_row(rpps=rpps or rpps_number(seed), last_name=f"Nom{seed}", first_name="Léa",
                    commune="42218", postcode="42000", city="Saint-Étienne")  # fmt: skip


def test_a_file_whose_every_line_is_rejected_is_refused_and_the_command_fails(territory_a, tmp_path):
    _import(territory_a, rpps_path=_write(tmp_path, rpps_file(_rows())))
    with schema_context(territory_a.schema_name):
        before = sorted(Entry.objects.values_list("identifier", "imported_hash", "withdrawn_at"))
    rows = [_saint_etienne(i, rpps=_bad_key(200 + i)) for i in range(3)]
    path = _write(tmp_path, rpps_file(rows), "tout-faux.txt")
    with pytest.raises(BrokenFile, match="Aucune ligne utilisable") as refused:
        _import(territory_a, rpps_path=path)
    assert refused.value.rejected[0] == {"line": 2, "reason": f"numéro RPPS invalide : {_bad_key(200)}"}
    with pytest.raises(CommandError) as failed:
        call_command("import_directory", community="alpha", rpps=path)
    message = str(failed.value)
    assert "rien n'a été modifié" in message and "tout-faux.txt" in message
    assert f"ligne 2 : numéro RPPS invalide : {_bad_key(200)}" in message
    assert f"ligne 4 : numéro RPPS invalide : {_bad_key(202)}" in message
    with schema_context(territory_a.schema_name):
        assert sorted(Entry.objects.values_list("identifier", "imported_hash", "withdrawn_at")) == before


def test_a_file_where_most_lines_of_the_territory_are_rejected_is_refused(territory_a, tmp_path):
    rows = [_saint_etienne(300 + i) for i in range(4)] + [
        _saint_etienne(0, rpps=_bad_key(310 + i)) for i in range(5)
    ]
    with pytest.raises(BrokenFile, match="La plupart des lignes de vos communes sont rejetées"):
        _import(territory_a, rpps_path=_write(tmp_path, rpps_file(rows)))
    with schema_context(territory_a.schema_name):
        assert Entry.objects.count() == 0


def test_a_few_malformed_lines_that_are_most_of_a_small_file_refuse_it(territory_a, tmp_path):
    content = rpps_file([_saint_etienne(320)]) + b"x|y|z\r\n1|2\r\n"
    with pytest.raises(BrokenFile, match="format attendu"):
        _import(territory_a, rpps_path=_write(tmp_path, content))
    with schema_context(territory_a.schema_name):
        assert Entry.objects.count() == 0


def test_a_file_with_no_line_of_the_territory_is_refused(territory_a, tmp_path):
    lyon = [rpps_row(rpps=rpps_number(330), last_name="Roux", first_name="Luc", commune="69123",
                     postcode="69001", city="Lyon")]  # fmt: skip
    with pytest.raises(BrokenFile, match="ne concerne pas les communes du territoire"):
        _import(territory_a, rpps_path=_write(tmp_path, rpps_file(lyon)))


def test_a_header_only_file_is_refused(territory_a, tmp_path):
    with pytest.raises(BrokenFile, match="aucune ligne de données"):
        _import(territory_a, rpps_path=_write(tmp_path, rpps_file([])))
