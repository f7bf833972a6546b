from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_security_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="dues_exempt",
            field=models.BooleanField(default=False, verbose_name="dispensé de cotisation"),
        ),
    ]
