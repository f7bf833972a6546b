from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkingGroupsConfig(AppConfig):
    name = "apps.working_groups"
    label = "working_groups"
    verbose_name = _("Groupes de travail")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry
        from apps.notifications.registry import Channel, register_kind

        from .mails import MEETING_KIND

        # A calendar invitation has no digest form: at once, or not at all.
        register_kind(
            MEETING_KIND,
            _("Invitations aux réunions de mes groupes de travail"),
            transactional=False,
            channels=(Channel.IMMEDIATE, Channel.NEVER),
        )

        register_sidebar_entry(
            group="groups",
            label=_("Groupes de travail"),
            icon="messages-square",
            url_name="working_groups:list",
            role="team",
            order=10,
        )
        register_sidebar_entry(
            group="groups",
            label=_("Nouveau groupe"),
            icon="plus",
            url_name="working_groups:create",
            role="team",
            order=20,
        )
