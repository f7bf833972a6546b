"""Every new CPTS starts with the two tiers of the seeds (CPTS.md §3), editable by its team."""

from decimal import Decimal

from django.db import migrations


def create_defaults(apps, schema_editor):
    Tier = apps.get_model("dues", "Tier")
    DuesSettings = apps.get_model("dues", "DuesSettings")
    if not Tier.objects.exists():
        Tier.objects.create(
            name="Adhésion classique",
            price=Decimal("5.00"),
            description="Adhésion annuelle à la CPTS, du 1er janvier au 31 décembre.",
            order=1,
        )
        Tier.objects.create(
            name="Adhésion partenaire",
            price=Decimal("17.00"),
            description="Adhésion annuelle incluant les offres préférentielles de nos partenaires.",
            partner_perks="Offres préférentielles négociées par la CPTS auprès de ses partenaires.",
            order=2,
        )
    DuesSettings.objects.get_or_create(pk=1, defaults={"reminder_offsets": [-30, 0, 30]})


class Migration(migrations.Migration):
    dependencies = [("dues", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
