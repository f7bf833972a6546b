from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = _("Campagnes d'e-mails")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry
        from apps.mailing.retention import register_event_keeper
        from apps.notifications.registry import Channel, register_kind, register_unsubscribe_listener

        from .consent import withdraw_on_unsubscribe
        from .digest import Kind as DigestKind
        from .retention import keep_bounces
        from .sending import CAMPAIGN_KIND

        register_kind(
            CAMPAIGN_KIND,
            _("Messages de l'équipe de la CPTS (campagnes d'e-mails)"),
            transactional=False,
            channels=(Channel.IMMEDIATE, Channel.NEVER),
        )
        register_unsubscribe_listener(withdraw_on_unsubscribe)
        register_event_keeper(keep_bounces)
        for key, label in (
            (DigestKind.NEWS, _("Actualités de la CPTS")),
            (DigestKind.EVENTS, _("Événements annoncés")),
            (DigestKind.DOCUMENTS, _("Nouveaux documents de mes groupes de travail")),
        ):
            register_kind(key, label, transactional=False, default=Channel.DIGEST,
                          channels=(Channel.DIGEST, Channel.NEVER))  # fmt: skip

        register_sidebar_entry(
            group="members",
            label=_("Campagnes d'e-mails"),
            icon="mail",
            url_name="campaigns:list",
            role="team",
            order=60,
        )
