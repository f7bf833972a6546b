from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AciConfig(AppConfig):
    name = "apps.aci"
    label = "aci"
    verbose_name = _("Contrat ACI")
