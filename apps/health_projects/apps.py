from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthProjectsConfig(AppConfig):
    name = "apps.health_projects"
    label = "health_projects"
    verbose_name = _("Projet de santé")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry

        register_sidebar_entry(
            group="health_project",
            label=_("Versions et actions"),
            icon="heart-pulse",
            url_name="health_projects:versions",
            role="team",
            order=10,
        )
        register_sidebar_entry(
            group="health_project",
            label=_("Projet publié"),
            icon="eye",
            url_name="health_projects:summary",
            role="team",
            order=20,
        )
