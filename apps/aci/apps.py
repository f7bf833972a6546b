from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AciConfig(AppConfig):
    name = "apps.aci"
    label = "aci"
    verbose_name = _("Contrat ACI")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry

        register_sidebar_entry(
            group="aci",
            label=_("Pilotage"),
            icon="clipboard-check",
            url_name="aci:cockpit",
            role="team",
            order=10,
        )
        register_sidebar_entry(
            group="aci", label=_("Contrat"), icon="file-text", url_name="aci:contract", role="team", order=20
        )
        register_sidebar_entry(
            group="aci", label=_("Financements"), icon="euro", url_name="aci:finances", role="team", order=30
        )
        register_sidebar_entry(
            group="aci",
            label=_("Indicateurs"),
            icon="activity",
            url_name="aci:indicators",
            role="team",
            order=40,
        )
        register_sidebar_entry(
            group="aci",
            label=_("Grilles de référence"),
            icon="list",
            url_name="aci:grid",
            role="team",
            order=50,
        )
