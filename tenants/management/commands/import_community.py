from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.transfer import TransferError, import_community


class Command(BaseCommand):
    help = "Restaure une CPTS depuis une archive d'export_community, sous le même identifiant ou un autre."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--slug", help="nouvel identifiant (par défaut : celui de l'archive)")
        parser.add_argument("--name", help="nouveau nom (par défaut : celui de l'archive)")

    def handle(self, *args, archive: Path, slug: str | None = None, name: str | None = None, **options):
        try:
            with open(archive, "rb") as source:
                report = import_community(source, slug=slug, name=name)
        except OSError as error:
            raise CommandError(f"Lecture impossible : {error}") from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except TransferError as error:
            raise CommandError(str(error)) from error
        skipped = ", ".join(f"{table} : {count}" for table, count in sorted(report.skipped_rows.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"CPTS « {report.community.schema_name} » restaurée : {report.files} fichier(s), "
                f"{report.accounts_matched} compte(s) retrouvé(s), {report.accounts_created} créé(s)"
                + (f" ; lignes ignorées (déjà prises ici) : {skipped}." if skipped else ".")
            )
        )
