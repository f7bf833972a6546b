"""The log is append-only in the database itself: UPDATE and TRUNCATE are refused, and DELETE
unless the transaction set ``cpts.audit_purge`` (the retention purge, apps.audit.log.purge_before).

The function lives once in public; each schema's table gets its trigger (this migration runs in
every schema; new CPTS get it with the template's triggers, tenants/cloning.py)."""

from django.db import migrations

FUNCTION = """
DO $do$
BEGIN
  IF to_regprocedure('public.cpts_audit_append_only()') IS NULL THEN
    CREATE FUNCTION public.cpts_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'DELETE' AND coalesce(current_setting('cpts.audit_purge', true), '') = 'on' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END
    $fn$;
  END IF;
END
$do$;
"""

TRIGGERS = """
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION public.cpts_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION public.cpts_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_append_only ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditevent;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTION + TRIGGERS, DROP)]
