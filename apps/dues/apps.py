from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuesConfig(AppConfig):
    name = "apps.dues"
    label = "dues"
    verbose_name = _("Cotisations")

    def ready(self) -> None:
        from apps.members.space import register_member_space_section
        from apps.members.standing import register_standing_provider

        from .member_space import dues_section
        from .standing import DuesStanding

        register_standing_provider(DuesStanding())
        register_member_space_section(dues_section)
