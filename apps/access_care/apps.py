from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessCareConfig(AppConfig):
    name = "apps.access_care"
    label = "access_care"
    verbose_name = _("Accès aux soins")

    def ready(self) -> None:
        from apps.accounts.hooks import register_second_factor_rule
        from apps.backoffice.registry import register_group, register_sidebar_entry
        from apps.members.space import register_member_space_section
        from apps.notifications.registry import register_kind

        from .mails import GP_PROPOSAL_KIND
        from .permissions import desk_is_on, desk_is_open_to, second_factor_reason
        from .views_gp import member_space_section

        register_second_factor_rule(second_factor_reason)
        # A patient waits for the GP's answer: always told (the mail holds a link, no patient data).
        register_kind(GP_PROPOSAL_KIND, _("Patient proposé par le guichet"), transactional=True)
        register_member_space_section(member_space_section)
        # The « Accès aux soins » group is shared with the SNP roster, whichever app registers it.
        # The desk's entries show only while the module is on (the roster's stays: it holds no
        # health data and has no switch).
        register_group("access", _("Accès aux soins"), 35)
        for order, (label, icon, url_name, role, visible) in enumerate(
            (
                (_("Demandes"), "stethoscope", "access_care:queue", "team", desk_is_open_to),
                (_("Places des médecins"), "users", "access_care:capacity", "team", desk_is_open_to),
                (_("Réglages et chiffres"), "settings", "access_care:settings", "team", desk_is_open_to),
                (_("Autorisations"), "shield-check", "access_care:permissions", "admin", desk_is_on),
                (_("Journal des accès"), "lock", "access_care:access_log", "admin", desk_is_on),
            ),
            start=0,
        ):
            register_sidebar_entry(
                group="access",
                label=label,
                icon=icon,
                url_name=url_name,
                role=role,
                order=order * 10,
                visible=visible,
            )
