"""The content types of the moved models follow them: ``dues.payment``, ``dues.receipt`` and
``dues.receiptcounter`` become ``payments.…`` (same id), or are deleted where ``payments.…``
already exists (created after the move). Raw SQL on this schema's own table: an ORM delete would
cascade to ``auth_permission``, which lives in the public schema with other ids."""

from django.db import migrations

MODELS = ("payment", "receipt", "receiptcounter")

FORWARDS = """
UPDATE django_content_type AS old SET app_label = 'payments'
 WHERE old.app_label = 'dues' AND old.model = ANY(%(models)s)
   AND NOT EXISTS (
       SELECT 1 FROM django_content_type AS new WHERE new.app_label = 'payments' AND new.model = old.model
   );
DELETE FROM django_content_type WHERE app_label = 'dues' AND model = ANY(%(models)s);
"""


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FORWARDS, {"models": list(MODELS)})


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
