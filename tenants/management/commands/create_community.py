from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.provisioning import CommunityRequest, provision_community


class Command(BaseCommand):
    help = "Ouvre une nouvelle CPTS (clone du schéma modèle) et invite son premier administrateur."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="identifiant = sous-domaine (ex. cpts-du-val)")
        parser.add_argument("--name", required=True, help="nom de la CPTS")
        parser.add_argument("--admin-email", required=True, help="e-mail du premier administrateur")
        parser.add_argument("--territory", default="", help="territoire en quelques mots")
        parser.add_argument("--operator-email", default="", help="opérateur à l'origine de la création")

    def handle(self, *args, **options):
        actor = None
        if options["operator_email"]:
            actor = get_user_model().objects.filter(email__iexact=options["operator_email"]).first()
        request = CommunityRequest(
            slug=options["slug"],
            name=options["name"],
            admin_email=options["admin_email"],
            territory_summary=options["territory"],
        )
        try:
            community = provision_community(actor=actor, request=request)
        except ValidationError as error:
            lines = [
                f"{field} : {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            ]
            raise CommandError("\n".join(lines)) from error
        self.stdout.write(
            self.style.SUCCESS(f"CPTS « {community.name} » ouverte : {community.primary_url()}")
        )
