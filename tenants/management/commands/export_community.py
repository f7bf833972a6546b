from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.transfer import TransferError, default_archive_name, export_to_path


class Command(BaseCommand):
    help = (
        "Écrit l'archive d'une CPTS : son schéma (pg_dump -n), ses lignes du schéma public (domaines, "
        "Stripe, liens de comptes), ses fichiers."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "--output", "-o", type=Path, help="fichier .tar.gz (par défaut : cpts-SLUG-DATE.tar.gz)"
        )

    def handle(self, *args, slug: str, output: Path | None = None, **options):
        path = output or Path(default_archive_name(slug))
        try:
            manifest = export_to_path(slug, path)
        except TransferError as error:
            path.unlink(missing_ok=True)
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Archive de « {slug} » écrite dans {path} ({path.stat().st_size} octets, "
                f"{len(manifest['files'])} fichier(s))."
            )
        )
