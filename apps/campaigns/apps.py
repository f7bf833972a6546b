from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = _("Campagnes d'e-mails")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry

        register_sidebar_entry(
            group="members",
            label=_("Campagnes d'e-mails"),
            icon="mail",
            url_name="campaigns:list",
            role="team",
            order=60,
        )
