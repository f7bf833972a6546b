from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = _("Membres")

    def ready(self) -> None:
        from apps.accounts.hooks import register_role_check, register_second_factor_rule
        from tenants.provisioning import register_provisioning_step

        from .account_rules import holds_role, staff_second_factor_reason
        from .services import invite_first_admin

        register_provisioning_step(invite_first_admin)
        register_role_check(holds_role)
        register_second_factor_rule(staff_second_factor_reason)
