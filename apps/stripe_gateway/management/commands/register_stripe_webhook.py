"""Register our webhook endpoint with localstripe (dev/tests only: real Stripe is set up in its
dashboard). localstripe takes ``POST /_config/webhooks/<id>`` with the URL and the secret."""

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def register_with_localstripe(url: str, hook_id: str = "cpts") -> None:
    if not settings.STRIPE_EMBEDDED or not settings.STRIPE_API_BASE:
        raise CommandError("Only for the embedded localstripe (STRIPE_EMBEDDED=1, STRIPE_API_BASE).")
    response = requests.post(
        f"{settings.STRIPE_API_BASE}/_config/webhooks/{hook_id}",
        data={"url": url, "secret": settings.STRIPE_WEBHOOK_SECRET},
        timeout=5,
    )
    response.raise_for_status()


class Command(BaseCommand):
    help = "Point localstripe's signed webhooks at this platform."

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="e.g. http://localhost:8000/stripe/webhook/")

    def handle(self, *args, url: str, **options):
        register_with_localstripe(url)
        self.stdout.write(f"localstripe webhook → {url}")
