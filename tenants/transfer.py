"""One CPTS out and back: an archive of everything that belongs to it, and its restoration.

The archive (``.tar.gz``) holds:
- ``schema-pre.sql``, ``schema-data.sql``, ``schema-post.sql``: its schema by ``pg_dump -n`` in
  three sections (tables, rows and sequences, then indexes and constraints);
- ``public.json``: its Community row, its domains, the rows of every public table with a foreign
  key to it (Stripe account and routes, account links, webhook log: found in the catalog, not
  listed by hand), and the accounts (e-mail and names, never a password) its rows refer to;
- ``files/…``: its stored files (local folder or bucket prefix), under their stored names;
- ``manifest.json``: format, source, migrations applied, checksums.

``import_archive`` restores it under the same or another slug, on this platform or another one:
accounts are matched by e-mail (created, without a password, when missing) and every column that
points at an account is rewritten to the local ids between the rows and the constraints, in one
transaction (psql ``--single-transaction``): a failure leaves no schema. Rows whose unique value is
already taken here (a Stripe route still used by the original CPTS) are skipped and counted.
The archive must come from the same migrations as this platform's template (checked).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists
from psycopg import sql

from .models import Community, Domain
from .provisioning import CommunityRequest, domain_for, validate_community_request

FORMAT = "cpts-community-archive/1"
SECTIONS = ("pre-data", "data", "post-data")
COMMUNITY_FIELDS = (
    "name",
    "status",
    "territory_summary",
    "aci_size",
    "primary_color",
    "plan",
    "stripe_account_id",
)


class TransferError(Exception):
    """The archive cannot be made or restored; the message says why, in French."""


def pg_tool(name: str) -> str:
    """Path of a PostgreSQL client (``PG_BIN_DIR`` first: the embedded server's own binaries)."""
    found = shutil.which(name, path=settings.PG_BIN_DIR or None) or shutil.which(name)
    if not found:
        raise TransferError(
            _("Outil PostgreSQL introuvable : %(name)s (réglez PG_BIN_DIR).") % {"name": name}
        )
    return found


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    environment = dict(os.environ)
    if db.get("PASSWORD"):
        environment["PGPASSWORD"] = db["PASSWORD"]
    return args, environment


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _rows(query, params=()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _public_tables_referencing(target: str) -> list[tuple[str, str]]:
    """(table, column) of every public table with a foreign key to public ``target``."""
    return [
        (row["table"], row["column"])
        for row in _rows(
            """SELECT c.relname AS table, a.attname AS column
                 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
                WHERE con.contype = 'f' AND n.nspname = %s AND con.confrelid = %s::regclass
                ORDER BY 1, 2""",
            [get_public_schema_name(), f"{get_public_schema_name()}.{target}"],
        )
    ]


def _schema_columns_referencing(schema: str, target: str) -> list[tuple[str, str]]:
    """(table, column) of ``schema``'s tables with a foreign key to public ``target``."""
    return [
        (row["table"], row["column"])
        for row in _rows(
            """SELECT c.relname AS table, a.attname AS column
                 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
                WHERE con.contype = 'f' AND n.nspname = %s AND con.confrelid = %s::regclass
                ORDER BY 1, 2""",
            [schema, f"{get_public_schema_name()}.{target}"],
        )
    ]


def _applied_migrations(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT app || '.' || name FROM {}.django_migrations ORDER BY 1").format(
                sql.Identifier(schema)
            )
        )
        return [row[0] for row in cursor.fetchall()]


def stored_files(schema: str) -> list[str]:
    """Every stored file name of the CPTS (walks its folder or bucket prefix)."""
    names: list[str] = []
    with schema_context(schema):
        pending = [""]
        while pending:
            folder = pending.pop()
            try:
                directories, files = default_storage.listdir(folder)
            except (FileNotFoundError, NotADirectoryError):
                continue
            names += [f"{folder}{name}" for name in files]
            pending += [f"{folder}{name}/" for name in directories]
    return sorted(names)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def export_community(slug: str, target: IO[bytes]) -> dict:
    """Write the archive of CPTS ``slug`` to the binary stream ``target``; returns the manifest."""
    community = (
        Community.objects.exclude(schema_name=get_public_schema_name()).filter(schema_name=slug).first()
    )
    if community is None or not schema_exists(slug):
        raise TransferError(_("Aucune CPTS « %(slug)s » sur cette plateforme.") % {"slug": slug})
    user_table = get_user_model()._meta.db_table
    community_table = Community._meta.db_table
    public_rows: dict[str, list[dict]] = {}
    for table, column in _public_tables_referencing(community_table):
        if table == Domain._meta.db_table:
            continue
        public_rows[table] = _rows(
            sql.SQL("SELECT * FROM {} WHERE {} = %s ORDER BY 1").format(
                sql.Identifier(table), sql.Identifier(column)
            ),
            [community.pk],
        )
    public_columns = {
        table: [column for _table, column in _public_tables_referencing(user_table) if _table == table]
        for table in public_rows
    }
    schema_user_columns = _schema_columns_referencing(slug, user_table)
    user_ids: set[int] = set()
    for table, column in schema_user_columns:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("SELECT DISTINCT {col} FROM {schema}.{table} WHERE {col} IS NOT NULL").format(
                    col=sql.Identifier(column), schema=sql.Identifier(slug), table=sql.Identifier(table)
                )
            )
            user_ids.update(row[0] for row in cursor.fetchall())
    for table, rows in public_rows.items():
        for column in public_columns[table]:
            user_ids.update(row[column] for row in rows if row[column] is not None)
    accounts = _rows(
        sql.SQL("SELECT id, email, first_name, last_name FROM {} WHERE id = ANY(%s) ORDER BY id").format(
            sql.Identifier(user_table)
        ),
        [sorted(user_ids)],
    )
    public = {
        "community": {name: getattr(community, name) for name in COMMUNITY_FIELDS},
        "domains": [
            {"domain": d.domain, "is_primary": d.is_primary}
            for d in community.domains.order_by("-is_primary", "domain")
        ],
        "rows": public_rows,
        "account_columns": public_columns,
        "accounts": accounts,
        "schema_account_columns": schema_user_columns,
    }
    args, environment = _pg_environment()
    dumps = {}
    for section in SECTIONS:
        completed = subprocess.run(  # noqa: S603 - our pg_dump, arguments from our settings
            [
                pg_tool("pg_dump"),
                *args,
                "--schema",
                slug,
                "--section",
                section,
                "--no-owner",
                "--no-privileges",
            ],
            capture_output=True,
            env=environment,
        )
        if completed.returncode != 0:
            raise TransferError(completed.stderr.decode(errors="replace").strip())
        dumps[section] = completed.stdout
    files = stored_files(slug)
    manifest = {
        "format": FORMAT,
        "slug": slug,
        "platform_domain": settings.PLATFORM_DOMAIN,
        "exported_at": datetime.now().astimezone().isoformat(),
        "migrations": _applied_migrations(slug),
        "files": {},
        "sql_sha256": {section: hashlib.sha256(data).hexdigest() for section, data in dumps.items()},
    }
    with tarfile.open(fileobj=target, mode="w:gz") as archive:
        for section, data in dumps.items():
            _add_bytes(archive, f"schema-{section}.sql", data)
        _add_bytes(archive, "public.json", json.dumps(public, default=_json_default, indent=1).encode())
        with schema_context(slug):
            for name in files:
                digest = hashlib.sha256()
                with default_storage.open(name, "rb") as source, tempfile.TemporaryFile() as spool:
                    for chunk in iter(lambda: source.read(1024 * 1024), b""):
                        digest.update(chunk)
                        spool.write(chunk)
                    info = tarfile.TarInfo(f"files/{name}")
                    info.size = spool.tell()
                    spool.seek(0)
                    archive.addfile(info, spool)
                manifest["files"][name] = digest.hexdigest()
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
    return manifest


def _rename_schema_in_dump(dump: str, source: str, target: str) -> str:
    """Point a plain ``pg_dump -n source`` script at schema ``target``: qualified names in
    statements are rewritten; the rows of COPY blocks are left exactly as they are."""
    quoted_source = (
        connection.ops.quote_name(source) if not re.fullmatch(r"[a-z_][a-z0-9_]*", source) else source
    )
    quoted_target = (
        connection.ops.quote_name(target) if not re.fullmatch(r"[a-z_][a-z0-9_]*", target) else target
    )
    pattern = re.compile(r"(?<![\w\"$-])" + re.escape(quoted_source) + r"(?=\.|;| OWNER| IS)")
    lines, in_copy = [], False
    for line in dump.splitlines(keepends=True):
        if in_copy:
            in_copy = line != "\\.\n"
            lines.append(line)
            continue
        if line.startswith("SET ") or line.startswith("SELECT pg_catalog.set_config"):
            lines.append(line)
            continue
        line = pattern.sub(lambda _m: quoted_target, line)
        in_copy = line.startswith("COPY ") and line.rstrip().endswith("FROM stdin;")
        lines.append(line)
    return "".join(lines)


@dataclass
class ImportReport:
    community: Community
    accounts_created: int = 0
    accounts_matched: int = 0
    skipped_rows: dict[str, int] = field(default_factory=dict)
    files: int = 0


def _read_member(archive: tarfile.TarFile, name: str) -> bytes:
    member = archive.extractfile(name)
    if member is None:
        raise TransferError(_("Archive incomplète : %(name)s manque.") % {"name": name})
    return member.read()


def import_community(source: IO[bytes], *, slug: str | None = None, name: str | None = None) -> ImportReport:
    """Restore an archive made by ``export_community`` as CPTS ``slug`` (default: its own slug).

    Raises ``ValidationError`` for a bad slug (format, reserved, taken) and ``TransferError`` for an
    archive that cannot be restored here. Leaves nothing behind on failure, except accounts created
    for the archive's people (harmless: no membership anywhere).
    """
    with tarfile.open(fileobj=source, mode="r:gz") as archive:
        manifest = json.loads(_read_member(archive, "manifest.json"))
        if manifest.get("format") != FORMAT:
            raise TransferError(_("Ce fichier n'est pas une archive de CPTS."))
        public = json.loads(_read_member(archive, "public.json"))
        # The same checks as a new CPTS: format, reserved names, slug and domain free here.
        checked = validate_community_request(
            CommunityRequest(
                slug=slug or manifest["slug"],
                name=name or public["community"]["name"],
                admin_email="import@archive.invalid",
            )
        )
        slug = checked.slug
        if schema_exists(slug):
            raise ValidationError({"slug": _("Un schéma « %(slug)s » existe déjà.") % {"slug": slug}})
        template = _applied_migrations(settings.TENANT_BASE_SCHEMA)
        if manifest["migrations"] != template:
            missing = sorted(set(template) ^ set(manifest["migrations"]))[:5]
            raise TransferError(
                _("L'archive ne vient pas de la même version (migrations différentes : %(list)s).")
                % {"list": ", ".join(missing)}
            )
        dumps = {section: _read_member(archive, f"schema-{section}.sql") for section in SECTIONS}
        for section, data in dumps.items():
            if hashlib.sha256(data).hexdigest() != manifest["sql_sha256"][section]:
                raise TransferError(_("Archive abîmée : %(name)s.") % {"name": section})

        report = ImportReport(community=Community(schema_name=slug))
        accounts = _match_accounts(public["accounts"], report)
        remap = [
            sql.SQL("UPDATE {schema}.{table} SET {col} = m.new FROM (VALUES {pairs}) AS m(old, new) "
                    "WHERE {schema}.{table}.{col} = m.old;\n").format(
                schema=sql.Identifier(slug),
                table=sql.Identifier(table),
                col=sql.Identifier(column),
                pairs=sql.SQL(", ").join(sql.SQL("({}, {})").format(old, new) for old, new in changed),
            )
            for table, column in public["schema_account_columns"]
            if (changed := [(old, new) for old, new in accounts.items() if old != new])
        ]  # fmt: skip
        with connection.cursor() as cursor:
            remap_sql = "".join(statement.as_string(cursor.connection) for statement in remap)
        script = "".join(
            _rename_schema_in_dump(dumps[section].decode(), manifest["slug"], slug)
            + (remap_sql if section == "data" else "")
            for section in SECTIONS
        )
        args, environment = _pg_environment()
        with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8") as script_file:
            script_file.write(script)
            script_file.flush()
            completed = subprocess.run(  # noqa: S603 - our psql, our script
                [pg_tool("psql"), *args, "--single-transaction", "--set", "ON_ERROR_STOP=1", "--quiet",
                 "--no-psqlrc", "--file", script_file.name],
                capture_output=True,
                env=environment,
            )  # fmt: skip
        if completed.returncode != 0:
            raise TransferError(completed.stderr.decode(errors="replace").strip()[-2000:])
        try:
            with transaction.atomic():
                community = _restore_public_rows(public, slug, name, accounts, report)
            report.community = community
            with schema_context(slug):
                for path, digest in manifest["files"].items():
                    data = _read_member(archive, f"files/{path}")
                    if hashlib.sha256(data).hexdigest() != digest:
                        raise TransferError(_("Archive abîmée : %(name)s.") % {"name": path})
                    stored = default_storage.save(path, File(io.BytesIO(data), name=path))
                    if stored != path:
                        raise TransferError(_("Fichier déjà présent : %(name)s.") % {"name": path})
                    report.files += 1
        except Exception:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(slug)))
            Community.objects.filter(schema_name=slug).delete()
            raise
    connection.set_schema_to_public()
    return report


def _match_accounts(accounts: list[dict], report: ImportReport) -> dict[int, int]:
    """Archive account id → local id, matching by e-mail; creates the missing accounts (no password)."""
    users = get_user_model()
    mapping = {}
    for account in accounts:
        local = users.objects.filter(email__iexact=account["email"]).first()
        if local is None:
            local = users.objects.create_user(
                account["email"], None, first_name=account["first_name"], last_name=account["last_name"]
            )
            report.accounts_created += 1
        else:
            report.accounts_matched += 1
        mapping[account["id"]] = local.pk
    return mapping


def _restore_public_rows(
    public: dict, slug: str, name: str | None, accounts: dict[int, int], report
) -> Community:
    fields = dict(public["community"])
    if name:
        fields["name"] = name
    community = Community(schema_name=slug, **fields)
    community.auto_create_schema = False  # restored by psql just before
    community.save()
    Domain.objects.create(domain=domain_for(slug), tenant=community, is_primary=True)
    for domain in public["domains"]:
        if not domain["is_primary"] and not Domain.objects.filter(domain=domain["domain"]).exists():
            Domain.objects.create(domain=domain["domain"], tenant=community, is_primary=False)
        elif not domain["is_primary"]:
            report.skipped_rows["tenants_domain"] = report.skipped_rows.get("tenants_domain", 0) + 1
    community_table = Community._meta.db_table
    links = dict(_public_tables_referencing(community_table))
    for table, rows in public["rows"].items():
        account_columns = public["account_columns"].get(table, [])
        for row in rows:
            row = {key: value for key, value in row.items() if key != "id"}
            row[links[table]] = community.pk
            for column in account_columns:
                if row.get(column) is not None:
                    row[column] = accounts[row[column]]
            # JSON columns travel as text; PostgreSQL reads the literal back as json.
            row = {
                key: json.dumps(value) if isinstance(value, dict | list) else value
                for key, value in row.items()
            }
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL(
                        "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING"
                    ).format(
                        table=sql.Identifier(table),
                        columns=sql.SQL(", ").join(sql.Identifier(column) for column in row),
                        values=sql.SQL(", ").join(sql.Placeholder() for _ in row),
                    ),
                    list(row.values()),
                )
                if cursor.rowcount == 0:
                    report.skipped_rows[table] = report.skipped_rows.get(table, 0) + 1
    return community


def default_archive_name(slug: str) -> str:
    return f"cpts-{slug}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.tar.gz"


def export_to_path(slug: str, path: Path) -> dict:
    with open(path, "wb") as target:
        return export_community(slug, target)
