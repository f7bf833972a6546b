from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_content_types_follow_the_move"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="cancelled_on_stripe_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
