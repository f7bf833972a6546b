from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from apps.directory.importing import BrokenFile, run_import


class Command(BaseCommand):
    help = (
        "Importe dans l'annuaire d'une CPTS les extraits nationaux (Annuaire Santé, FINESS), "
        "limités aux communes de son territoire."
    )

    def add_arguments(self, parser):
        parser.add_argument("--community", required=True, help="Identifiant (sous-domaine) de la CPTS.")
        parser.add_argument("--rpps", help="Fichier ps-libreacces-personne-activite.txt")
        parser.add_argument("--finess", help="Fichier etalab-cs1100507-stock-*.csv")

    def handle(self, *args, **options):
        slug = options["community"]
        if not get_tenant_model().objects.filter(schema_name=slug).exclude(schema_name="public").exists():
            raise CommandError(f"Aucune CPTS « {slug} ».")
        if not options["rpps"] and not options["finess"]:
            raise CommandError("Indiquez --rpps et/ou --finess.")
        with schema_context(slug):
            try:
                report = run_import(actor=None, rpps_path=options["rpps"], finess_path=options["finess"])
            except (BrokenFile, OSError) as error:
                raise CommandError(f"Import annulé, rien n'a été modifié : {error}") from error
        for kind, section in report.items():
            self.stdout.write(
                f"{kind} ({section['file']}) : lignes lues : {section['lines_read']}, "
                f"retenues : {section['kept']}, hors territoire : {section['outside_territory']}, "
                f"créées : {section['created']}, mises à jour : {section['updated']}, "
                f"inchangées : {section['unchanged']}, retirées : {section['withdrawn']}, "
                f"rejetées : {section['rejected_count']}"
            )
            for rejected in section["rejected"][:50]:
                self.stdout.write(f"  ligne {rejected['line']} : {rejected['reason']}")
            for warning in section["warnings"][:50]:
                self.stdout.write(f"  {warning}")
