"""Payment, Receipt and ReceiptCounter leave the dues app's model state for ``apps.payments``
(payments.0001_initial). State only: the tables dues_payment, dues_receipt and dues_receiptcounter
and every row in them stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dues', '0007_duessettings_grace_days'),
    ]

    operations = [
        # The tables stay where they are (Meta.db_table): only Django's model state moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='payment',
                    name='dues',
                ),
                migrations.RemoveField(
                    model_name='payment',
                    name='recorded_by',
                ),
                migrations.RemoveField(
                    model_name='payment',
                    name='registration',
                ),
                migrations.RemoveField(
                    model_name='receipt',
                    name='payment',
                ),
                migrations.RemoveField(
                    model_name='receipt',
                    name='cancels',
                ),
                migrations.DeleteModel(
                    name='ReceiptCounter',
                ),
                migrations.DeleteModel(
                    name='Payment',
                ),
                migrations.DeleteModel(
                    name='Receipt',
                ),
            ],
            database_operations=[],
        ),
    ]
