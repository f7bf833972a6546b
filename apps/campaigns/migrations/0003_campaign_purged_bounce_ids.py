from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_counts_from_events_retention"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="purged_bounce_ids",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
