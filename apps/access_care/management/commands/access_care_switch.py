"""The operator's switch of the médecin-traitant desk for one CPTS (only with HDS_HOSTING=true)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.access_care.services import set_enabled
from tenants.models import Community


class Command(BaseCommand):
    help = "Switch the access-to-care desk on or off for one CPTS."

    def add_arguments(self, parser):
        parser.add_argument("schema")
        parser.add_argument("state", choices=["on", "off"])
        parser.add_argument("--operator", default="", help="e-mail of the operator, kept with the switch")

    def handle(self, *args, schema, state, operator, **options):
        if not Community.objects.filter(schema_name=schema).exists():
            raise CommandError(f"no CPTS with schema {schema!r}")
        with schema_context(schema):
            try:
                set_enabled(operator_email=operator or "manage.py", enabled=state == "on")
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(f"{schema}: accès aux soins {'activé' if state == 'on' else 'désactivé'}")
        )
