from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from apps.directory.importing import BrokenFile, run_import
from apps.directory.models import REGISTER_NAMES, REPORT_ROWS

# Rejected lines and warnings printed per file (the team's page lists up to 500).
SHOWN = 50


class Command(BaseCommand):
    help = (
        "Importe dans l'annuaire d'une CPTS les extraits nationaux (Annuaire Santé, FINESS), "
        "limités aux communes de son territoire. Un fichier refusé n'importe rien et la commande "
        "se termine en erreur (code de sortie non nul)."
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
            except BrokenFile as error:
                raise CommandError(f"Import refusé, rien n'a été modifié.\n{error.describe()}") from error
            except OSError as error:
                raise CommandError(f"Import annulé, rien n'a été modifié : {error}") from error
        for kind, section in report.items():
            self.stdout.write(self.table(kind, section))

    def table(self, kind: str, section: dict) -> str:
        labels = [str(label) for _key, label in REPORT_ROWS]
        width = max(len(label) for label in labels)
        lines = [f"{REGISTER_NAMES[kind]} — {section['file']}"]
        lines += [
            f"  {label.ljust(width)}  {section[key]:>9}"
            for label, (key, _label) in zip(labels, REPORT_ROWS, strict=True)
        ]
        if section["rejected"]:
            lines.append("  Lignes rejetées :")
            lines += [f"    ligne {r['line']} : {r['reason']}" for r in section["rejected"][:SHOWN]]
            if section["rejected_count"] > SHOWN:
                lines.append(f"    … et {section['rejected_count'] - SHOWN} autres")
        lines += [f"  {warning}" for warning in section["warnings"][:SHOWN]]
        return "\n".join(lines) + "\n"
