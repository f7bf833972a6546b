"""A CPTS schema made by tenants/cloning.py is the template's twin: same tables, columns, indexes
and constraints under the same names, same rows."""

from django.conf import settings
from django.db import connection

TEMPLATE = settings.TENANT_BASE_SCHEMA


def catalog(schema: str) -> dict:
    def rows(sql: str) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, [schema])
            return sorted(
                tuple(str(v).replace(f"{schema}.", "<s>.") for v in row) for row in cursor.fetchall()
            )

    return {
        "columns": rows(
            """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                      a.attgenerated, pg_get_expr(d.adbin, d.adrelid)
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE n.nspname = %s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped"""
        ),
        "constraints": rows(
            """SELECT cl.relname, con.conname, con.contype, pg_get_constraintdef(con.oid), con.condeferrable,
                      con.condeferred, rn.nspname = 'public'
                 FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid
                 JOIN pg_namespace n ON n.oid = cl.relnamespace
                 LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                WHERE n.nspname = %s"""
        ),
        "indexes": rows("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s"),
    }


def test_a_clone_has_the_template_structure_under_the_same_names(community_a):
    template, clone = catalog(TEMPLATE), catalog(community_a.schema_name)
    assert len(template["columns"]) > 100 and len(template["indexes"]) > 50
    assert clone["columns"] == template["columns"]
    assert clone["constraints"] == template["constraints"]
    assert clone["indexes"] == template["indexes"]


def test_foreign_keys_point_inside_the_clone_or_at_the_public_schema(community_a):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT rn.nspname FROM pg_constraint con
                 JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
                 JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                WHERE n.nspname = %s AND con.contype = 'f'""",
            [community_a.schema_name],
        )
        targets = {row[0] for row in cursor.fetchall()}
    assert targets == {community_a.schema_name, "public"}


def test_a_clone_starts_with_the_template_rows_and_its_own_sequences(community_a):
    def migrations(schema):
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
            return cursor.fetchall()

    assert migrations(community_a.schema_name) == migrations(TEMPLATE)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT max(id) FROM "{community_a.schema_name}".django_migrations')
        highest = cursor.fetchone()[0]
        cursor.execute(
            f"""INSERT INTO "{community_a.schema_name}".django_migrations (app, name, applied)
                VALUES ('test', 'test', now()) RETURNING id"""
        )
        assert cursor.fetchone()[0] == highest + 1
