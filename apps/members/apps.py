from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = _("Membres")

    def ready(self) -> None:
        from apps.accounts.hooks import register_role_check, register_second_factor_rule
        from apps.backoffice.registry import register_sidebar_entry
        from tenants.provisioning import register_provisioning_step

        from .account_rules import holds_role, staff_second_factor_reason
        from .services import invite_first_admin

        register_provisioning_step(invite_first_admin)
        register_role_check(holds_role)
        register_second_factor_rule(staff_second_factor_reason)
        register_sidebar_entry(
            group="settings",
            label=_("Équipe et accès"),
            icon="users",
            url_name="members:team_space",
            role="team",
            order=10,
        )
        register_sidebar_entry(
            group="settings",
            label=_("Double authentification"),
            icon="shield-check",
            url_name="members:security",
            role="admin",
            order=20,
        )
