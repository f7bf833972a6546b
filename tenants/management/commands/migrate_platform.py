from django.core.management.base import BaseCommand, CommandError

from tenants.platform_setup import migrate_everything
from tenants.schema_migrations import DEFAULT_MIN_PER_PROCESS, DEFAULT_PER_PROCESS, default_jobs


class Command(BaseCommand):
    help = (
        "Migre le schéma public, le schéma modèle, puis les schémas CPTS en retard (comparés au modèle "
        "en une requête), en parallèle. Un schéma en échec est signalé, les autres continuent ; "
        "relancer reprend là où le passage s'est arrêté."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--jobs", type=int, default=default_jobs(), help="processus en parallèle, au plus"
        )
        parser.add_argument(
            "--per-process",
            type=int,
            default=DEFAULT_PER_PROCESS,
            help="schémas migrés par processus enfant avant qu'il ne s'arrête (1 : un processus par schéma)",
        )
        parser.add_argument(
            "--min-per-process",
            type=int,
            default=DEFAULT_MIN_PER_PROCESS,
            help=(
                "pas de processus enfant de plus pour moins de ce nombre de schémas : quelques schémas "
                "en retard sont migrés par un seul processus (jamais plus que --per-process)"
            ),
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        report = migrate_everything(
            verbosity=max(0, verbosity - 1),
            jobs=options["jobs"],
            per_process=options["per_process"],
            min_per_process=options["min_per_process"],
            progress=(lambda line: (self.stdout.write(line), self.stdout.flush())) if verbosity else None,
        )
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} schéma(s) en échec (relancer pour reprendre) : "
                + ", ".join(sorted(report.failed))
            )
        self.stdout.write(self.style.SUCCESS("Schémas à jour."))
