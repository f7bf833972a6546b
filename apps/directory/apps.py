from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "apps.directory"
    label = "directory"
    verbose_name = _("Annuaire")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry
        from apps.notifications.registry import register_kind
        from apps.territory.selectors import register_professionals_counter

        from .selectors import count_territory_professionals

        register_professionals_counter(count_territory_professionals)
        register_kind(
            "directory.listing_decision", _("Décision sur mes demandes à l'annuaire"), transactional=True
        )
        register_sidebar_entry(
            group="directory",
            label=_("Fiches et demandes"),
            icon="book-user",
            url_name="directory:team",
            role="team",
            order=10,
        )
