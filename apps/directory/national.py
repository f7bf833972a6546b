"""Weekly refresh of every CPTS's directory from the national extracts (Annuaire Santé, FINESS).

The platform downloads each national file once (conditional GET; a zip is unpacked), then reads it
once, routing each line to the CPTS whose territory holds its commune: one small file per CPTS,
written into that CPTS's own storage and imported by the usual task (report, idempotence,
withdrawals). One pass over the 800 MB file serves every CPTS, where importing the national file in
each CPTS would read it once per CPTS.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.territory.selectors import expand_codes, get_territory_codes
from tenants.queue import enqueue, enqueue_on_commit
from tenants.selectors import active_schemas

from .codes import finess_insee_code
from .importing.rpps import COMMUNE as RPPS_COMMUNE
from .models import ImportRun

KINDS = ("rpps", "finess")
# Routed lines held in memory before they are appended to the CPTS's files.
FLUSH_BYTES = 16 * 1024 * 1024
DOWNLOAD_TIMEOUT_SECONDS = 120  # per read
DOWNLOAD_DEADLINE_SECONDS = 3600  # for the whole file


def national_dir() -> Path:
    # "_" never appears in a CPTS slug, so no CPTS storage (MEDIA_ROOT/<schema>/) can be this folder.
    path = Path(getattr(settings, "NATIONAL_EXTRACTS_DIR", "") or Path(settings.MEDIA_ROOT) / "_national")
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch(kind: str, url: str) -> tuple[Path, dict] | None:
    """Download ``url`` to ``_national/<kind>.txt``; None when it has not changed since the last
    refresh (304 to a conditional GET, or the same bytes). A zip is unpacked (its largest file).
    Returns the file and what to remember of it once it is split (``remember``)."""
    folder = national_dir()
    if kind not in KINDS:
        raise ValueError(f"unknown national extract {kind!r}")
    meta_path = folder / f"{kind}.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    _check_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": "plateforme-cpts"})  # noqa: S310
    if meta.get("url") == url and (folder / f"{kind}.txt").exists():
        if meta.get("etag"):
            request.add_header("If-None-Match", meta["etag"])
        if meta.get("last_modified"):
            request.add_header("If-Modified-Since", meta["last_modified"])
    try:
        response = _OPENER.open(request, timeout=DOWNLOAD_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return None
        raise
    digest = hashlib.sha256()
    deadline = time.monotonic() + DOWNLOAD_DEADLINE_SECONDS
    limit = settings.NATIONAL_EXTRACT_MAX_BYTES
    try:
        with response, tempfile.NamedTemporaryFile(dir=folder, prefix=f"{kind}-", delete=False) as download:
            size = 0
            for chunk in iter(lambda: response.read(1 << 20), b""):
                size += len(chunk)
                if size > limit or time.monotonic() > deadline:
                    raise ValueError(f"national extract {kind}: over {limit} bytes or too slow, abandoned")
                download.write(chunk)
                digest.update(chunk)
            headers = response.headers
    except BaseException:
        Path(download.name).unlink(missing_ok=True)
        raise
    if (
        meta.get("url") == url
        and digest.hexdigest() == meta.get("sha256")
        and (folder / f"{kind}.txt").exists()
    ):
        os.unlink(download.name)
        return None
    target = folder / f"{kind}.txt"
    try:
        if zipfile.is_zipfile(download.name):
            _unzip(kind, download.name, target, limit)
        else:
            os.replace(download.name, target)
    finally:
        Path(download.name).unlink(missing_ok=True)
        Path(f"{target}.part").unlink(missing_ok=True)
    meta = {
        "url": url,
        "etag": headers.get("ETag", ""),
        "last_modified": headers.get("Last-Modified", ""),
        "sha256": digest.hexdigest(),
        "fetched_at": timezone.now().isoformat(),
    }
    return target, meta


def _check_url(url: str) -> None:
    """HTTPS only (these files feed every public directory): plain HTTP is accepted for this
    machine alone (tests, a local mirror)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return
    raise ValueError(f"national extract URL must be https: {url!r}")


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        _check_url(newurl)  # never follow a redirect to plain HTTP, FTP or a file
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_OPENER = urllib.request.build_opener(_SafeRedirects)


def _unzip(kind: str, archive_path: str, target: Path, limit: int) -> None:
    with zipfile.ZipFile(archive_path) as archive:
        member = _extract_member(kind, archive)
        if member.file_size > limit:
            raise ValueError(f"national extract {kind}: {member.filename} is over {limit} bytes")
        written = 0
        with archive.open(member) as source, open(f"{target}.part", "wb") as unpacked:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                written += len(chunk)
                if written > limit:  # the size an archive declares is not proof
                    raise ValueError(f"national extract {kind}: {member.filename} is over {limit} bytes")
                unpacked.write(chunk)
    os.replace(f"{target}.part", target)


# The Annuaire Santé archive also holds diplomas and skills files: pick the activities file by name.
_MEMBER_NAMES = {"rpps": "personne_activite", "finess": "stock"}


def _extract_member(kind: str, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The archive's file for ``kind``: the one named like it (the largest if several), else the largest."""
    files = [info for info in archive.infolist() if not info.is_dir()]
    wanted = _MEMBER_NAMES.get(kind, "")
    named = [info for info in files if wanted and wanted in info.filename.lower().replace("-", "_")]
    return max(named or files, key=lambda info: info.file_size)


def remember(kind: str, meta: dict) -> None:
    """Record a download as done: only once its imports are queued, so that a refresh interrupted
    before (worker killed, file that is not an extract) downloads it again next time."""
    (national_dir() / f"{kind}.json").write_text(json.dumps(meta))


def territories() -> dict[str, list[str]]:
    """Schema names of the open CPTS that have a territory and no import under way, each with the
    INSEE codes of its territory (arrondissements included)."""
    result = {}
    for schema in active_schemas():
        with schema_context(schema):
            busy = ImportRun.objects.filter(
                status__in=[ImportRun.Status.PENDING, ImportRun.Status.RUNNING]
            ).exists()
            codes = get_territory_codes()
            if codes and not busy:
                result[schema] = sorted(expand_codes(codes))
    return result


class _Router:
    """Per-CPTS output files, appended in bulk: memory stays bounded whatever the number of CPTS,
    and at most one file is open at a time."""

    def __init__(self, paths: dict[str, Path], head: bytes):
        self.paths = paths
        self.pending: dict[str, list[bytes]] = defaultdict(list)
        self.size = 0
        self.lines = dict.fromkeys(paths, 0)
        for path in paths.values():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(head)

    def add(self, schemas: Iterable[str], line: bytes) -> None:
        for schema in schemas:
            self.pending[schema].append(line)
            self.lines[schema] += 1
            self.size += len(line)
        if self.size >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        for schema, lines in self.pending.items():
            with open(self.paths[schema], "ab") as output:
                output.writelines(lines)
        self.pending.clear()
        self.size = 0


def _with_newline(line: bytes) -> bytes:
    return line if line.endswith(b"\n") else line + b"\n"


def split_rpps(source: Path, by_code: dict[bytes, list[str]], paths: dict[str, Path]) -> dict[str, int]:
    """Route each line of the Annuaire Santé file to the CPTS of its commune. Returns lines per CPTS."""
    with open(source, "rb") as stream:
        head = _with_newline(stream.readline())
        header = head.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n").split("|")
        if RPPS_COMMUNE not in header:
            raise ValueError(f"not an Annuaire Santé extract: no column {RPPS_COMMUNE!r}")
        at = header.index(RPPS_COMMUNE)
        router = _Router(paths, head)
        for line in stream:
            fields = line.split(b"|", at + 1)
            if len(fields) > at:
                schemas = by_code.get(fields[at].strip())
                if schemas:
                    router.add(schemas, _with_newline(line))
        router.flush()
    return router.lines


def split_finess(source: Path, by_code: dict[bytes, list[str]], paths: dict[str, Path]) -> dict[str, int]:
    """Route each ``structureet`` line to the CPTS of its commune, and each ``geolocalisation`` line
    to the CPTS of its establishment (they come after every structure). Returns lines per CPTS."""
    where: dict[bytes, list[str]] = {}
    with open(source, "rb") as stream:
        head = _with_newline(stream.readline())
        if not head.lstrip(b"\xef\xbb\xbf").lower().startswith(b"finess;etalab"):
            raise ValueError("not a FINESS extract: the first line must start with finess;etalab")
        router = _Router(paths, head)
        for line in stream:
            fields = line.split(b";", 14)
            if fields[0] == b"structureet" and len(fields) > 13:
                code = finess_insee_code(
                    fields[13].decode("ascii", "replace"), fields[12].decode("ascii", "replace")
                )
                schemas = by_code.get(code.encode())
                if schemas:
                    where[fields[1]] = schemas
                    router.add(schemas, _with_newline(line))
            elif fields[0] == b"geolocalisation" and len(fields) > 1:
                schemas = where.get(fields[1])
                if schemas:
                    router.add(schemas, _with_newline(line))
        router.flush()
    return router.lines


SPLITTERS = {"rpps": split_rpps, "finess": split_finess}
# The national files change by a few per cent a week: far fewer lines than last time means a
# truncated or wrong file, which would withdraw thousands of entries.
MIN_LINES_SHARE = 0.9
MIN_LINES_CHECKED = 10_000  # the national files have millions; a small mirror or sample is not checked


def _check_not_truncated(kind: str, path: Path) -> int:
    with open(path, "rb") as stream:
        lines = sum(1 for _line in stream)
    meta_path = national_dir() / f"{kind}.json"
    previous = json.loads(meta_path.read_text()).get("lines", 0) if meta_path.exists() else 0
    if previous >= MIN_LINES_CHECKED and lines < MIN_LINES_SHARE * previous:
        raise ValueError(
            f"national extract {kind}: {lines} lines against {previous} last time, looks truncated; not imported"
        )
    return lines


def refresh(urls: dict[str, str]) -> dict:
    """Download what changed among ``urls`` (kind → URL), split it by territory, and queue one import
    per CPTS. Returns a summary. The imports are published as ``directory.run_import``."""
    fetched = {kind: fetch(kind, url) for kind, url in urls.items() if url}
    fetched = {kind: result for kind, result in fetched.items() if result is not None}
    fresh = {kind: path for kind, (path, _meta) in fetched.items()}
    if not fresh:
        return {"changed": [], "communities": 0}
    for kind, (path, meta) in fetched.items():
        meta["lines"] = _check_not_truncated(kind, path)
    by_schema = territories()
    by_code: dict[bytes, list[str]] = defaultdict(list)
    for schema, codes in by_schema.items():
        for code in codes:
            by_code[code.encode()].append(schema)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]
    names = {kind: f"directory/imports/national-{kind}-{stamp}.txt" for kind in fresh}
    # Split into a scratch folder, then store each CPTS's part in its own storage (local folder or
    # bucket prefix): the worker that imports it may run on another machine.
    with tempfile.TemporaryDirectory(prefix="cpts-split-", dir=national_dir()) as scratch:
        paths: dict[str, dict[str, Path]] = {
            kind: {schema: Path(scratch) / f"{schema}-{kind}.txt" for schema in by_schema} for kind in fresh
        }
        lines = {kind: SPLITTERS[kind](path, by_code, paths[kind]) for kind, path in fresh.items()}
        # A file with no line of the territory is not imported (an import refuses an empty file):
        # the entries it used to bring stay until an extract lists some of them again.
        files: dict[str, dict[str, str]] = {schema: {} for schema in by_schema}
        for schema in by_schema:
            with schema_context(schema):
                for kind in fresh:
                    if lines[kind][schema]:
                        with open(paths[kind][schema], "rb") as part:
                            files[schema][kind] = default_storage.save(names[kind], File(part))
    queued = [schema for schema in by_schema if files[schema]]
    for index, schema in enumerate(queued):
        with schema_context(schema):
            run = ImportRun.objects.create(
                rpps_file=files[schema].get("rpps", ""),
                finess_file=files[schema].get("finess", ""),
                automatic=True,
            )
        countdown = int(settings.NATIONAL_IMPORT_SPREAD_SECONDS * index / len(queued))
        enqueue("directory.run_import", schema, run.pk, countdown=countdown)
    connection.set_schema_to_public()
    for kind, (_path, meta) in fetched.items():
        remember(kind, meta)
    return {
        "changed": sorted(fresh),
        "communities": len(queued),
        "lines": {kind: sum(per.values()) for kind, per in lines.items()},
    }


def held_extracts() -> dict[str, Path]:
    """The national extracts the platform already holds (downloaded by the weekly refresh)."""
    folder = national_dir()
    return {kind: folder / f"{kind}.txt" for kind in KINDS if (folder / f"{kind}.txt").exists()}


def import_held_extracts(*, actor=None) -> ImportRun | None:
    """Fill the current CPTS's directory from the extracts the platform holds, without waiting for
    the weekly refresh (a new CPTS that just chose its territory): the refresh's split, for this
    one territory, then the usual import (published as ``directory.run_import`` on commit).

    Returns the queued run, or None when there is nothing to do: no extract held, no territory, an
    import already under way, or no line of the territory in the extracts. Reads the whole national
    files: call it from a worker (``directory.import_held_extracts``)."""
    schema = connection.schema_name
    held = held_extracts()
    codes = get_territory_codes()
    busy = ImportRun.objects.filter(status__in=[ImportRun.Status.PENDING, ImportRun.Status.RUNNING]).exists()
    if not held or not codes or busy:
        return None
    by_code = {code.encode(): [schema] for code in expand_codes(codes)}
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]
    names = {kind: f"directory/imports/national-{kind}-{stamp}.txt" for kind in held}
    # As in refresh: split into a scratch folder, store the parts in this CPTS's storage.
    with tempfile.TemporaryDirectory(prefix="cpts-split-", dir=national_dir()) as scratch:
        paths = {kind: {schema: Path(scratch) / f"{schema}-{kind}.txt"} for kind in held}
        lines = {kind: SPLITTERS[kind](path, by_code, paths[kind]) for kind, path in held.items()}
        files = {}
        for kind in held:
            if lines[kind][schema]:
                with open(paths[kind][schema], "rb") as part:
                    files[kind] = default_storage.save(names[kind], File(part))
    if not files:
        return None
    run = ImportRun.objects.create(
        rpps_file=files.get("rpps", ""),
        finess_file=files.get("finess", ""),
        automatic=True,
        created_by=actor,
    )
    enqueue_on_commit("directory.run_import", schema, run.pk)
    return run
