from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = _("Journal d'audit")

    def ready(self):
        from tenants.audit import register_audit_recorder

        from .log import record

        register_audit_recorder(record)
