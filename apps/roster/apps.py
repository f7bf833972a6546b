from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RosterConfig(AppConfig):
    name = "apps.roster"
    label = "roster"
    verbose_name = _("Soins non programmés")

    def ready(self) -> None:
        from apps.backoffice.registry import register_group, register_sidebar_entry
        from apps.members.space import register_member_space_section
        from apps.notifications.registry import register_kind

        from .member_space import snp_section

        register_member_space_section(snp_section)
        register_group("access", _("Accès aux soins"), 35)
        register_sidebar_entry(
            group="access", label=_("Soins non programmés"), icon="clock", url_name="roster:team_week", role="team",
            order=20,
        )  # fmt: skip
        # Only professionals who said yes are asked; they may still mute it per CPTS.
        register_kind(
            "roster.gap_request",
            _("Demandes de l'équipe pour combler un manque de soins non programmés"),
            transactional=False,
        )
