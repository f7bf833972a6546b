from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DuesConfig(AppConfig):
    name = "apps.dues"
    label = "dues"
    verbose_name = _("Cotisations")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry
        from apps.members.space import register_member_space_section
        from apps.members.standing import register_standing_provider
        from apps.notifications.registry import Channel, register_kind

        from . import payable
        from .mails import AUTORENEW_FAILED_KIND, REMINDER_KIND
        from .member_space import dues_section
        from .standing import DuesStanding

        payable.register()
        register_kind(
            REMINDER_KIND,
            _("Rappels de renouvellement de mon adhésion"),
            transactional=False,
            channels=(Channel.IMMEDIATE, Channel.NEVER),
        )
        # A refused card at automatic renewal: the membership lapses if nobody acts — always told.
        register_kind(AUTORENEW_FAILED_KIND, _("Échec du renouvellement automatique"), transactional=True)
        register_standing_provider(DuesStanding())
        register_member_space_section(dues_section)
        register_sidebar_entry(
            group="members",
            label=_("Liste des adhérents"),
            icon="users",
            url_name="dues:team_members",
            role="team",
            order=10,
        )
        register_sidebar_entry(
            group="dues",
            label=_("Chiffres"),
            icon="chart-column",
            url_name="dues:team_figures",
            role="team",
            order=10,
        )
        register_sidebar_entry(
            group="dues",
            label=_("Formules et réglages"),
            icon="settings",
            url_name="dues:team_settings",
            role="team",
            order=20,
        )
