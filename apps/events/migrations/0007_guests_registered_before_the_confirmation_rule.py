"""Guests who registered before unconfirmed seats were given back (their e-mail promised a seat
with no deadline) keep it: their rows count as confirmed, so the sweep never releases them
without a word. Guests registering from now on are told the rule in their e-mail."""

from django.db import migrations
from django.db.models import F


def grandfather_guests(apps, schema_editor):
    Registration = apps.get_model("events", "Registration")
    Registration.objects.filter(user__isnull=True, guest_confirmed_at__isnull=True).update(
        guest_confirmed_at=F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [("events", "0006_guest_registrations")]

    operations = [migrations.RunPython(grandfather_guests, migrations.RunPython.noop)]
