import apps.dues.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dues", "0005_payment_pays_dues_or_registration"),
    ]

    operations = [
        migrations.AlterField(
            model_name="tier",
            name="price",
            field=models.DecimalField(
                decimal_places=2,
                help_text="0 € : formule gratuite, l'adhésion est à jour dès l'inscription.",
                max_digits=8,
                validators=[apps.dues.models.validate_tier_price],
                verbose_name="montant TTC (€)",
            ),
        ),
    ]
