from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The team's landing page. At the top of the apps: it reads members, dues, payments, events,
    directory, site and ACI through their selectors; nothing imports it."""

    name = "apps.dashboard"
    label = "dashboard"
    verbose_name = _("Tableau de bord")

    def ready(self) -> None:
        from apps.accounts.hooks import register_landing
        from apps.backoffice.registry import register_sidebar_entry

        from .landing import team_landing

        register_sidebar_entry(
            group="dashboard",
            label=_("Vue d'ensemble"),
            icon="layout-dashboard",
            url_name="dashboard:home",
            order=1,
        )
        register_landing(team_landing)
