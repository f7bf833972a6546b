"""Load the shipped geographic references (communes, EPCI, commune centres, cantons) into the
public schema. Idempotent and fast: a checksum makes a second run a no-op; a changed file is
COPY'd into a temporary table and merged (communes) or replaces the table (the others)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from pathlib import Path

from django.db import connection, transaction
from django_tenants.utils import schema_context

from .models import Canton, Commune, CommuneCentre, Dataset, Epci
from .text import normalize

COMMUNES_FILE = Path(__file__).with_name("data") / "communes.csv.gz"
DATASET_NAME = "communes"
EPCIS_FILE = Path(__file__).with_name("data") / "epcis.csv.gz"
EPCI_DATASET_NAME = "epcis"
CENTRES_FILE = Path(__file__).with_name("data") / "centres.csv.gz"
CENTRES_DATASET_NAME = "centres"
CANTONS_FILE = Path(__file__).with_name("data") / "cantons.csv.gz"
CANTONS_DATASET_NAME = "cantons"
_COLUMNS = (
    "code",
    "name",
    "kind",
    "parent_code",
    "department",
    "region",
    "postcodes",
    "population",
    "aliases",
    "search_name",
)


def _changed_text(path: Path, name: str, force: bool) -> tuple[str, str] | None:
    """``path``'s text and checksum, or None when dataset ``name`` was loaded from the same bytes
    (and not ``force``). Call in the public schema."""
    raw = path.read_bytes()
    checksum = hashlib.sha256(raw).hexdigest()
    if not force and Dataset.objects.filter(name=name, checksum=checksum).exists():
        return None
    return gzip.decompress(raw).decode("utf-8"), checksum


def _record(name: str, checksum: str, rows: int) -> None:
    Dataset.objects.update_or_create(name=name, defaults={"checksum": checksum, "rows": rows})


def _replace_all(model, rows: list, name: str, checksum: str) -> int:
    """Replace every row of ``model`` by ``rows`` and record the dataset, in one transaction."""
    with transaction.atomic():
        model.objects.all().delete()
        model.objects.bulk_create(rows, batch_size=500)
        _record(name, checksum, len(rows))
    return len(rows)


def load_communes(path: Path = COMMUNES_FILE, *, force: bool = False) -> int:
    """Load ``path`` into ``geo_commune``; returns the number of rows written (0 if up to date).

    Communes absent from the file are kept (CPTS may reference them) but marked not current.
    """
    with schema_context("public"):
        changed = _changed_text(path, DATASET_NAME, force)
        if changed is None:
            return 0
        text, checksum = changed
        reader = csv.DictReader(io.StringIO(text))
        table = Commune._meta.db_table
        columns = ", ".join(_COLUMNS)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE geo_commune_load (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            count = 0
            with cursor.copy(f"COPY geo_commune_load ({columns}, is_current) FROM STDIN") as copy:
                for row in reader:
                    copy.write_row(
                        (
                            row["code"],
                            row["name"],
                            row["kind"],
                            row["parent_code"],
                            row["department"],
                            row["region"],
                            row["postcodes"].split(),
                            int(row["population"] or 0),
                            row["aliases"].split(),
                            normalize(row["name"]),
                            True,
                        )
                    )
                    count += 1
            updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])
            cursor.execute(
                f"INSERT INTO {table} ({columns}, is_current) SELECT {columns}, true FROM geo_commune_load "  # noqa: S608
                f"ON CONFLICT (code) DO UPDATE SET {updates}, is_current = true"
            )
            cursor.execute(
                f"UPDATE {table} SET is_current = false "  # noqa: S608
                f"WHERE code NOT IN (SELECT code FROM geo_commune_load) AND is_current"
            )
            _record(DATASET_NAME, checksum, count)
    return count


def load_epcis(path: Path = EPCIS_FILE, *, force: bool = False) -> int:
    """Replace ``geo_epci`` by ``path`` (a few thousand rows); returns the rows written (0 if up to
    date). EPCI are only read to add their communes at once, so nothing keeps an old one."""
    with schema_context("public"):
        changed = _changed_text(path, EPCI_DATASET_NAME, force)
        if changed is None:
            return 0
        text, checksum = changed
        rows = [
            Epci(
                code=row["code"],
                name=row["name"],
                kind=row["kind"],
                population=int(row["population"] or 0),
                members=row["members"].split(),
                search_name=normalize(row["name"]),
            )
            for row in csv.DictReader(io.StringIO(text))
        ]
        return _replace_all(Epci, rows, EPCI_DATASET_NAME, checksum)


def load_centres(path: Path = CENTRES_FILE, *, force: bool = False) -> int:
    """Replace ``geo_communecentre`` by ``path`` (code, latitude, longitude; ~35,000 rows, COPY'd);
    returns the rows written (0 if up to date)."""
    with schema_context("public"):
        changed = _changed_text(path, CENTRES_DATASET_NAME, force)
        if changed is None:
            return 0
        text, checksum = changed
        reader = csv.reader(io.StringIO(text))
        next(reader)
        count = 0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {CommuneCentre._meta.db_table}")  # noqa: S608
            with cursor.copy(
                f"COPY {CommuneCentre._meta.db_table} (code, latitude, longitude) FROM STDIN"
            ) as copy:
                for code, latitude, longitude in reader:
                    copy.write_row((code, float(latitude), float(longitude)))
                    count += 1
            _record(CENTRES_DATASET_NAME, checksum, count)
    return count


def load_cantons(path: Path = CANTONS_FILE, *, force: bool = False) -> int:
    """Replace ``geo_canton`` by ``path`` (~2,000 rows); returns the rows written (0 if up to date).
    Cantons are only read to add their communes at once, so nothing keeps an old one."""
    with schema_context("public"):
        changed = _changed_text(path, CANTONS_DATASET_NAME, force)
        if changed is None:
            return 0
        text, checksum = changed
        rows = [
            Canton(
                code=row["code"],
                name=row["name"],
                department=row["department"],
                members=row["members"].split(),
                search_name=normalize(row["name"]),
            )
            for row in csv.DictReader(io.StringIO(text))
        ]
        return _replace_all(Canton, rows, CANTONS_DATASET_NAME, checksum)


def load_references(*, force: bool = False) -> dict[str, int]:
    """Every shipped reference, communes first; rows written per reference (0: already up to date).
    The one entry point of ``manage.py load_communes`` (run by ``migrate_platform``) and the tests."""
    return {
        "communes": load_communes(force=force),
        "epcis": load_epcis(force=force),
        "centres": load_centres(force=force),
        "cantons": load_cantons(force=force),
    }
