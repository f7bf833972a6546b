from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    name = "apps.site"
    label = "site"
    verbose_name = _("Site public")

    def ready(self) -> None:
        from apps.access_care.hooks import register_settings_listener
        from apps.backoffice.registry import register_sidebar_entry
        from apps.richtext import register_html_finisher

        from .pagecache import invalidate_site
        from .services import with_renditions

        # The menu and footer link to the desk's form while it is on: forget them when it changes.
        register_settings_listener(invalidate_site)

        # Images of any app's rich text (event descriptions…) get the site's renditions.
        register_html_finisher(with_renditions)

        register_sidebar_entry(
            group="site",
            label=_("Vue d'ensemble"),
            icon="globe",
            url_name="site:team_dashboard",
            role="team",
            order=10,
        )
        register_sidebar_entry(
            group="site",
            label=_("Identité et coordonnées"),
            icon="palette",
            url_name="site:team_branding",
            role="team",
            order=20,
        )
        register_sidebar_entry(
            group="site",
            label=_("Missions"),
            icon="target",
            url_name="site:team_missions",
            role="team",
            order=30,
        )
        register_sidebar_entry(
            group="site",
            label=_("Pages"),
            icon="file-text",
            url_name="site:team_pages",
            role="team",
            order=40,
        )
        register_sidebar_entry(
            group="site",
            label=_("Actualités"),
            icon="newspaper",
            url_name="site:team_news",
            role="team",
            order=50,
        )
        register_sidebar_entry(
            group="site", label=_("FAQ"), icon="circle-help", url_name="site:team_faq", role="team", order=60
        )
        register_sidebar_entry(
            group="site",
            label=_("Numéros utiles"),
            icon="phone",
            url_name="site:team_numbers",
            role="team",
            order=70,
        )
        register_sidebar_entry(
            group="site",
            label=_("Messages reçus"),
            icon="inbox",
            url_name="site:team_inbox",
            role="team",
            order=80,
        )
