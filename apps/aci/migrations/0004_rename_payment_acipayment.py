"""The ACI funding instalment's Python name becomes ``AciPayment`` (members' payments are
``apps.payments.Payment``); its table stays ``aci_payment``, so no row moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("aci", "0003_directory_coverage_source"),
    ]

    operations = [
        # Pin the current table name first: the rename below then leaves the table where it is.
        migrations.AlterModelTable(name="payment", table="aci_payment"),
        migrations.RenameModel(old_name="Payment", new_name="AciPayment"),
    ]
