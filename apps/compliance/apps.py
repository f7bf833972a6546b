from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "apps.compliance"
    label = "compliance"
    verbose_name = _("Données personnelles et journal")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry

        register_sidebar_entry(
            group="settings",
            label=_("Journal d'audit"),
            icon="list",
            url_name="compliance:team_audit_log",
            role="admin",
            order=30,
        )
        register_sidebar_entry(
            group="settings",
            label=_("Demandes d'effacement"),
            icon="shield-check",
            url_name="compliance:team_erasure_requests",
            role="admin",
            order=40,
        )
