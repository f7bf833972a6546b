"""After a key rotation (a new key put first in ACCESS_CARE_KEYS): rewrite every encrypted value
of the médecin-traitant desk with the current key, in every CPTS. ``--index`` also recomputes the
duplicate index of every request (after a new ACCESS_CARE_INDEX_KEY)."""

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from apps.access_care.services import reencrypt_all
from tenants.selectors import active_schemas


class Command(BaseCommand):
    help = "Re-encrypt the access-to-care data with the current key (all CPTS, or --schema)."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="only this CPTS")
        parser.add_argument("--index", action="store_true", help="recompute every duplicate index too")

    def handle(self, *args, schema=None, index=False, **options):
        total = 0
        for name in [schema] if schema else active_schemas():
            with schema_context(name):
                count = reencrypt_all(rebuild_index=index)
            total += count
            self.stdout.write(f"{name}: {count} demande(s) réécrite(s)")
        self.stdout.write(self.style.SUCCESS(f"{total} demande(s) réécrite(s) au total"))
