"""Fast cloning of the template schema into a new CPTS schema, in one server-side call.

django-tenants' generic ``clone_schema`` (a ~4,000-line plpgsql function) handles every kind of
object a schema may hold; ours holds only what Django migrations create: tables (with identity,
generated columns, defaults, CHECK, primary/unique keys), indexes, foreign keys and triggers. Copying exactly
those, keeping every name (later migrations refer to index and constraint names), is several times
faster (benchmarks/provisioning.py). ``tests/tenants/test_cloning.py`` checks that a clone has the
same columns, indexes and constraints as the template, under the same names.
"""

from __future__ import annotations

from django.db import connection

CLONE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION public.cpts_clone_schema(src text, dst text) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  previous_path text := current_setting('search_path');
  t record;
  cols text;
  keys text[] := '{}';
  foreign_keys text[] := '{}';
  indexes text[] := '{}';
  triggers text[] := '{}';
  stmt text;
BEGIN
  EXECUTE format('CREATE SCHEMA %I', dst);
  FOR t IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = src AND c.relkind IN ('r', 'p') ORDER BY c.relname
  LOOP
    EXECUTE format(
      'CREATE TABLE %I.%I (LIKE %I.%I INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY '
      'INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)', dst, t.relname, src, t.relname);
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
      FROM pg_attribute a
     WHERE a.attrelid = format('%I.%I', src, t.relname)::regclass
       AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
    EXECUTE format('INSERT INTO %I.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %I.%I',
                   dst, t.relname, cols, cols, src, t.relname);
  END LOOP;

  -- Definitions are printed with the template first on the search path, so references to its own
  -- tables come out unqualified (they will resolve in dst), and references to public ones qualified.
  PERFORM set_config('search_path', format('%I, public', src), true);
  SELECT coalesce(array_agg(format('ALTER TABLE %I ADD CONSTRAINT %I %s', cl.relname, con.conname,
                                   pg_get_constraintdef(con.oid)) ORDER BY con.contype DESC, con.conname), '{}')
    INTO keys
    FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
   WHERE n.nspname = src AND con.contype IN ('p', 'u', 'x');
  -- pg_get_indexdef always qualifies the table: point it at dst (the index lands beside its table).
  SELECT coalesce(array_agg(replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(src) || '.',
                                    ' ON ' || quote_ident(dst) || '.') ORDER BY ic.relname), '{}') INTO indexes
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
   WHERE n.nspname = src
     AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'));
  SELECT coalesce(array_agg(format('ALTER TABLE %I ADD CONSTRAINT %I %s', cl.relname, con.conname,
                                   pg_get_constraintdef(con.oid)) ORDER BY con.conname), '{}')
    INTO foreign_keys
    FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
   WHERE n.nspname = src AND con.contype = 'f';
  -- Triggers a migration created (e.g. the audit log's append-only guard); like indexes, their
  -- definition names the template's table.
  SELECT coalesce(array_agg(replace(pg_get_triggerdef(tg.oid), ' ON ' || quote_ident(src) || '.',
                                    ' ON ' || quote_ident(dst) || '.') ORDER BY tg.tgname), '{}') INTO triggers
    FROM pg_trigger tg JOIN pg_class cl ON cl.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
   WHERE n.nspname = src AND NOT tg.tgisinternal;

  PERFORM set_config('search_path', format('%I, public', dst), true);
  FOREACH stmt IN ARRAY keys LOOP EXECUTE stmt; END LOOP;
  FOREACH stmt IN ARRAY indexes LOOP EXECUTE stmt; END LOOP;
  FOREACH stmt IN ARRAY foreign_keys LOOP EXECUTE stmt; END LOOP;
  FOREACH stmt IN ARRAY triggers LOOP EXECUTE stmt; END LOOP;

  -- Identity sequences continue after the copied rows.
  FOR t IN
    SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = dst AND a.attidentity IN ('a', 'd')
  LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM %I.%I), 0) + 1, false)',
                   format('%I.%I', dst, t.relname), t.attname, t.attname, dst, t.relname);
  END LOOP;
  PERFORM set_config('search_path', previous_path, true);
END
$fn$;
"""


def install_clone_function() -> None:
    """(Re)create the function; run by migrate_platform after the template is migrated."""
    with connection.cursor() as cursor:
        cursor.execute(CLONE_FUNCTION)


def clone_schema(source: str, target: str) -> None:
    """Create schema ``target`` as a copy of ``source`` (structure and rows). Joins the caller's
    transaction: a failure later in provisioning rolls the whole schema back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('public.cpts_clone_schema(text,text)') IS NOT NULL")
        if not cursor.fetchone()[0]:
            cursor.execute(CLONE_FUNCTION)
        cursor.execute("SELECT public.cpts_clone_schema(%s, %s)", [source, target])
