from django.core.management.base import BaseCommand

from apps.geo.loading import load_references

LOADED = {
    "communes": "{n} communes chargées.",
    "epcis": "{n} intercommunalités chargées.",
    "centres": "{n} centres de communes chargés.",
    "cantons": "{n} cantons chargés.",
}


class Command(BaseCommand):
    help = (
        "Charge les référentiels nationaux : communes, EPCI, centres des communes et cantons "
        "(sans effet pour un fichier déjà chargé)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Recharger même si les fichiers n'ont pas changé."
        )

    def handle(self, *args, **options):
        counts = load_references(force=options["force"])
        for name, count in counts.items():
            if count:
                self.stdout.write(self.style.SUCCESS(LOADED[name].format(n=count)))
        if not any(counts.values()):
            self.stdout.write("Référentiels géographiques déjà à jour.")
