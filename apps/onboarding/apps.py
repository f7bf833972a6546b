from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "apps.onboarding"
    label = "onboarding"
    verbose_name = _("Premiers pas")

    def ready(self) -> None:
        from apps.backoffice.registry import register_dashboard_panel
        from apps.members.space import register_landing, register_member_space_section

        from .member_space import first_steps_landing, first_steps_panel, first_steps_section

        register_member_space_section(first_steps_section)
        register_landing(first_steps_landing)
        register_dashboard_panel(
            key="first_steps",
            template="onboarding/_panel.html",
            context=first_steps_panel,
            role="admin",
            order=0,
            size="wide",
        )
