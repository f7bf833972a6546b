from django.conf import settings
from django.core.management.base import BaseCommand

from apps.demo.seeding import DEMO_PASSWORD, DEMO_PEOPLE, OPERATOR_EMAIL, describe_roles, seed_demo
from tenants.models import Community


def mail_destination() -> str:
    """Where the mail sent by the running platform ends up, as the settings say."""
    if settings.MAIL_CATCHER_URL:
        return f"Boîte de réception locale (tous les e-mails envoyés) : {settings.MAIL_CATCHER_URL}"
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        return f"E-mails envoyés (invitations, mots de passe) : fichiers dans {settings.EMAIL_FILE_PATH}"
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        return f"E-mails envoyés par le serveur SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return f"E-mails envoyés par {settings.EMAIL_BACKEND}"


class Command(BaseCommand):
    help = "Crée les données de démonstration (idempotent) et affiche les adresses et comptes."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=settings.PLATFORM_PORT or "8000")

    def handle(self, *args, **options):
        for line in seed_demo():
            self.stdout.write(f"  créé : {line}")
        port = options["port"]
        domain = settings.PLATFORM_DOMAIN
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS("La plateforme CPTS tourne :"))
        out(f"  Site de la plateforme et console opérateur : http://{domain}:{port}/  (console : /console/)")
        for community in Community.objects.exclude(schema_name="public").filter(status="active"):
            out(f"  {community.name} : http://{community.schema_name}.{domain}:{port}/")
        out("")
        out(f"Comptes de démonstration (mot de passe pour tous : {DEMO_PASSWORD}) :")
        out(f"  {OPERATOR_EMAIL}  — opérateur de la plateforme")
        for person in DEMO_PEOPLE:
            out(f"  {person.email}  — {describe_roles(person)}")
        out(mail_destination())
        out("Santé : /healthz sur chaque hôte. Ctrl-C arrête tout.")
        out("")
