from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The team's back-office chrome: the sidebar and dashboard-panel registries, the layout's
    context and the icon tag. At the bottom of the apps: it imports none of them; they register
    their entries here in their own ``AppConfig.ready``."""

    name = "apps.backoffice"
    verbose_name = _("Back-office")
