from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthProjectsConfig(AppConfig):
    name = "apps.health_projects"
    label = "health_projects"
    verbose_name = _("Projet de santé")
