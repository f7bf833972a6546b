from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessCareConfig(AppConfig):
    name = "apps.access_care"
    label = "access_care"
    verbose_name = _("Accès aux soins")

    def ready(self) -> None:
        from apps.accounts.hooks import register_second_factor_rule
        from apps.members.space import register_member_space_section

        from .permissions import second_factor_reason
        from .views_gp import member_space_section

        register_second_factor_rule(second_factor_reason)
        register_member_space_section(member_space_section)
