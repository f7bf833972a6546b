"""One import of national extracts into the current CPTS's directory."""

from __future__ import annotations

import os
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from apps.professionals.models import IdentifierType
from apps.territory.selectors import expand_codes, get_territory_codes

from ..models import REGISTER_NAMES
from ..search import rebuild_vocabulary
from .common import BrokenFile, ImportReport, withdraw_missing, write_entries
from .finess import parse_finess
from .rpps import parse_rpps

# The identifiers each national file carries: what it used to describe, hence may withdraw.
IDENTIFIERS_OF = {"rpps": [IdentifierType.RPPS, IdentifierType.ADELI], "finess": [IdentifierType.FINESS]}


def run_import(
    *,
    actor,
    rpps_path: str | None = None,
    finess_path: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    complete: bool = False,
    names: dict[str, str] | None = None,
) -> dict:
    """Import the given files for the current CPTS (the connection's schema), filtered to its
    communes. Returns the report ``{"rpps": {...}, "finess": {...}}``.

    Raises BrokenFile (and writes nothing) if a file is not what it claims or the territory is empty.
    ``progress(bytes_read, bytes_total, phase)`` is called while reading. ``complete``: the files
    are the whole national extracts (the weekly refresh checked them), so entries they no longer
    list are withdrawn however many they are (see ``withdraw_missing``). ``names``: the name each
    file had for the people who chose it (``{"rpps": "extrait.txt"}``), reported instead of the
    stored file's name. A refused file's BrokenFile names the file.
    """
    codes = get_territory_codes()
    if not codes:
        raise BrokenFile(
            _("Choisissez d'abord les communes du territoire : l'import ne garde que celles-ci.")
        )
    territory = expand_codes(codes)
    files = [(kind, path) for kind, path in (("rpps", rpps_path), ("finess", finess_path)) if path]
    if not files:
        raise BrokenFile(_("Aucun fichier à importer."))
    total = sum(os.path.getsize(path) for _kind, path in files)
    done = 0
    parsed = []
    for kind, path in files:
        label = (names or {}).get(kind) or os.path.basename(path)
        report = ImportReport(file=label)
        offset = done

        def tick(read: int, offset: int = offset, kind: str = kind) -> None:
            if progress:
                progress(offset + read, total, kind)

        parser = parse_rpps if kind == "rpps" else parse_finess
        with open(path, "rb") as stream:
            try:
                records = parser(stream, territory, report, tick)
            except BrokenFile as error:
                raise BrokenFile(
                    _("%(register)s — %(file)s : %(reason)s")
                    % {"register": REGISTER_NAMES[kind], "file": label, "reason": error},
                    error.rejected,
                ) from error
        done += os.path.getsize(path)
        parsed.append((kind, report, records))
    if progress:
        progress(total, total, "write")
    with transaction.atomic():
        for kind, report, records in parsed:
            seen = write_entries(records, report)
            withdraw_missing(IDENTIFIERS_OF[kind], seen | report.still_listed, report, complete=complete)
        rebuild_vocabulary()
    return {kind: report.as_dict() for kind, report, _records in parsed}


__all__ = ["BrokenFile", "run_import"]
