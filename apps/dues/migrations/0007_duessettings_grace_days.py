import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dues", "0006_tier_price_free"),
    ]

    operations = [
        migrations.AddField(
            model_name="duessettings",
            name="grace_days",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text=(
                    "Les membres à jour de l'année écoulée le restent jusqu'à ce délai ; ensuite leur cotisation "
                    "est échue et les contenus réservés aux membres leur sont fermés jusqu'au renouvellement."
                ),
                validators=[django.core.validators.MaxValueValidator(180)],
                verbose_name="délai de grâce (jours après le 1er janvier)",
            ),
        ),
    ]
