"""Imports of the FINESS establishments extract: DOM and Corsica codes, projections, families."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.directory.codes import finess_insee_code, is_valid_finess
from apps.directory.importing import BrokenFile, run_import
from apps.directory.importing.finess import crs_of
from apps.directory.models import Entry
from tests.factories.directory_files import finess_file, finess_number, geo_line, structure_line

PARIS_EHPAD = finess_number(11, "75")
ABYMES_MSP = finess_number(22, "9A")
AJACCIO_PHARMACY = finess_number(33, "2A")
LYON_CH = finess_number(44, "69")
BAD_KEY = PARIS_EHPAD[:-1] + str((int(PARIS_EHPAD[-1]) + 1) % 10)


def _file():
    structures = [
        structure_line(finess=PARIS_EHPAD, name="EHPAD Les Tilleuls", departement="75", commune="115",
                       postcode="75015", city="Paris"),
        structure_line(finess=ABYMES_MSP, name="Maison de santé des Abymes", departement="9A", commune="101",
                       postcode="97139", city="Les Abymes", category=("603", "Maison de santé (L.6223-3)")),
        structure_line(finess=AJACCIO_PHARMACY, name="Pharmacie du Cours Napoléon", departement="2A",
                       commune="004", postcode="20000", city="Ajaccio", category=("620", "Pharmacie d'Officine")),
        structure_line(finess=LYON_CH, name="Centre hospitalier", departement="69", commune="123",
                       postcode="69003", city="Lyon", category=("355", "Centre Hospitalier (C.H.)")),
        structure_line(finess=BAD_KEY, name="Numéro faux", departement="75", commune="115",
                       postcode="75015", city="Paris"),
    ]  # fmt: skip
    geos = [
        geo_line(PARIS_EHPAD, 648_237.3, 6_858_410.1, "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93"),
        geo_line(ABYMES_MSP, 657_000.0, 1_800_000.0, "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_N20"),
        geo_line(AJACCIO_PHARMACY, 1_177_000.0, 6_105_000.0, "EPSG:2154"),
        geo_line(LYON_CH, 845_000.0, 6_520_000.0, "LAMBERT_93"),
    ]
    return finess_file(structures, geos)


def test_insee_codes_of_finess_lines():
    assert finess_insee_code("75", "115") == "75115"
    assert finess_insee_code("9A", "101") == "97101"
    assert finess_insee_code("9F", "611") == "97611"
    assert finess_insee_code("2A", "004") == "2A004"
    assert finess_insee_code("1", "4") == "01004"


def test_finess_numbers_are_checked_corsica_by_format():
    assert is_valid_finess(PARIS_EHPAD) and is_valid_finess("2A0000001") and is_valid_finess("2b 000 0001")
    assert not is_valid_finess(BAD_KEY) and not is_valid_finess("2C0000001") and not is_valid_finess("12345")


@pytest.mark.parametrize(
    ("source", "departement", "epsg"),
    [("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93", "75", 2154), ("x,UTM_N20", "9A", 32620),
     ("x,UTM_S40", "9D", 32740), ("EPSG:2972", "9C", 2972), ("", "9F", 32738), ("", "42", 2154)],
)  # fmt: skip
def test_the_projection_is_read_from_the_source_field(source, departement, epsg):
    assert crs_of(source, departement) == epsg


def test_structures_of_the_territory_import_with_latitude_and_longitude(territory_a, tmp_path):
    path = tmp_path / "finess.csv"
    path.write_bytes(_file())
    with schema_context(territory_a.schema_name):
        report = run_import(actor=None, finess_path=str(path))["finess"]
        assert (report["kept"], report["outside_territory"], report["created"]) == (3, 1, 3)
        assert report["rejected"] == [{"line": 6, "reason": f"numéro FINESS invalide : {BAD_KEY}"}]
        ehpad = Entry.objects.get(identifier=PARIS_EHPAD)
        assert (ehpad.kind, ehpad.family, ehpad.finess_category_code) == ("structure", "retirement", "500")
        place = ehpad.places.get()
        assert place.commune_id == "75115" and place.postcode == "75015"
        assert place.latitude == pytest.approx(48.84, abs=0.02) and place.longitude == pytest.approx(
            2.30, abs=0.02
        )
        msp = Entry.objects.get(identifier=ABYMES_MSP)
        assert msp.family == "msp" and msp.places.get().commune_id == "97101"
        assert msp.places.get().latitude == pytest.approx(16.28, abs=0.05)
        assert msp.places.get().longitude == pytest.approx(-61.51, abs=0.05)
        pharmacy = Entry.objects.get(identifier=AJACCIO_PHARMACY)
        assert pharmacy.family == "pharmacy" and pharmacy.places.get().commune_id == "2A004"
        assert pharmacy.places.get().latitude == pytest.approx(41.9, abs=0.1)
        assert pharmacy.name == "Pharmacie du Cours Napoléon"  # decoded from Windows-1252


def test_a_file_without_the_finess_first_line_imports_nothing(territory_a, tmp_path):
    path = tmp_path / "finess.csv"
    path.write_bytes(_file().split(b"\n", 1)[1])
    with schema_context(territory_a.schema_name):
        with pytest.raises(BrokenFile, match="finess;etalab"):
            run_import(actor=None, finess_path=str(path))
        assert Entry.objects.count() == 0


def test_reimporting_finess_changes_nothing(territory_a, tmp_path):
    path = tmp_path / "finess.csv"
    path.write_bytes(_file())
    with schema_context(territory_a.schema_name):
        run_import(actor=None, finess_path=str(path))
        report = run_import(actor=None, finess_path=str(path))["finess"]
        assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 3)


def test_real_extract_variants_trailing_field_and_older_geolocation_layout(territory_a, tmp_path):
    """A structure line ending with an extra empty field, and the older geolocation layout whose
    source field itself holds ``;``."""
    structures = [
        structure_line(finess=PARIS_EHPAD, name="EHPAD Les Tilleuls", departement="75", commune="115",
                       postcode="75015", city="Paris") + ";",
    ]  # fmt: skip
    geos = [
        f"geolocalisation;{PARIS_EHPAD};648237.3;6858410.1;1,ATLASANTE,100,IGN;BD_ADRESSE;V2.2;LAMBERT_93;"
        "2019-03-28"
    ]
    path = tmp_path / "finess.csv"
    path.write_bytes(finess_file(structures, geos))
    with schema_context(territory_a.schema_name):
        report = run_import(actor=None, finess_path=str(path))["finess"]
        assert (report["lines_read"], report["created"], report["rejected"]) == (2, 1, [])
        place = Entry.objects.get(identifier=PARIS_EHPAD).places.get()
        assert place.latitude == pytest.approx(48.84, abs=0.02)
        assert place.longitude == pytest.approx(2.30, abs=0.02)


def test_a_finess_file_with_every_structure_rejected_is_refused(territory_a, tmp_path):
    structures = [
        structure_line(finess=BAD_KEY, name="Numéro faux", departement="75", commune="115",
                       postcode="75015", city="Paris"),
        structure_line(finess=PARIS_EHPAD, name="", departement="75", commune="115",
                       postcode="75015", city="Paris"),
    ]  # fmt: skip
    path = tmp_path / "finess.csv"
    path.write_bytes(finess_file(structures, []))
    with schema_context(territory_a.schema_name):
        with pytest.raises(BrokenFile, match="Aucune ligne utilisable") as refused:
            run_import(actor=None, finess_path=str(path))
        assert [r["line"] for r in refused.value.rejected] == [2, 3]
        assert "FINESS" in str(refused.value) and "finess.csv" in str(refused.value)
        assert Entry.objects.count() == 0


def test_a_finess_file_with_only_its_first_line_is_refused(territory_a, tmp_path):
    path = tmp_path / "finess.csv"
    path.write_bytes(finess_file([], []))
    with schema_context(territory_a.schema_name):
        with pytest.raises(BrokenFile, match="aucune ligne de données"):
            run_import(actor=None, finess_path=str(path))
