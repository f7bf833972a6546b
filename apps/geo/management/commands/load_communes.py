from django.core.management.base import BaseCommand

from apps.geo.loading import load_communes, load_epcis


class Command(BaseCommand):
    help = "Charge le référentiel national des communes et des EPCI (sans effet s'il est déjà à jour)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Recharger même si le fichier n'a pas changé."
        )

    def handle(self, *args, **options):
        count = load_communes(force=options["force"])
        if count:
            self.stdout.write(self.style.SUCCESS(f"{count} communes chargées."))
        else:
            self.stdout.write("Référentiel des communes déjà à jour.")
        epcis = load_epcis(force=options["force"])
        if epcis:
            self.stdout.write(self.style.SUCCESS(f"{epcis} intercommunalités chargées."))
