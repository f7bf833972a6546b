from django.core.management.base import BaseCommand

from tenants.platform_setup import migrate_everything


class Command(BaseCommand):
    help = "Migre le schéma public, le schéma modèle et le schéma de chaque CPTS."

    def handle(self, *args, **options):
        migrate_everything(verbosity=max(0, options["verbosity"] - 1))
        self.stdout.write(self.style.SUCCESS("Schémas à jour."))
