from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StripeGatewayConfig(AppConfig):
    name = "apps.stripe_gateway"
    label = "stripe_gateway"
    verbose_name = _("Passerelle Stripe")
