"""The access log is append-only: a trigger refuses UPDATE, and DELETE of rows younger than 12
months (the daily purge deletes older ones). The function lives in public (one copy shared by
every CPTS); the trigger is on each CPTS's table (copied by tenants/cloning.py for new CPTS)."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION public.access_care_log_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'the access-to-care access log is append-only';
  END IF;
  IF OLD.at >= now() - interval '12 months' THEN
    RAISE EXCEPTION 'access-to-care access log rows are kept 12 months';
  END IF;
  RETURN OLD;
END
$fn$;
"""

TRIGGER = """
DROP TRIGGER IF EXISTS access_care_log_guard ON access_care_accesslog;
CREATE TRIGGER access_care_log_guard BEFORE UPDATE OR DELETE ON access_care_accesslog
FOR EACH ROW EXECUTE FUNCTION public.access_care_log_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("access_care", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION + TRIGGER, "DROP TRIGGER IF EXISTS access_care_log_guard ON access_care_accesslog;"),
    ]
