from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkingGroupsConfig(AppConfig):
    name = "apps.working_groups"
    label = "working_groups"
    verbose_name = _("Groupes de travail")
