from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = _("Membres")

    def ready(self) -> None:
        from tenants.provisioning import register_provisioning_step

        from .services import invite_first_admin

        register_provisioning_step(invite_first_admin)
