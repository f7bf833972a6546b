from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "apps.territory"
    label = "territory"
    verbose_name = _("Territoire")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry

        register_sidebar_entry(
            group="territory",
            label=_("Communes"),
            icon="map",
            url_name="territory:team",
            role="team",
            order=10,
        )
