from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = _("Paiements")

    def ready(self) -> None:
        from apps.notifications.registry import register_kind

        from .mails import DISPUTE_KIND

        # A chargeback takes the money and a fee at once, and has a deadline: the team is always told.
        register_kind(DISPUTE_KIND, _("Contestation bancaire d'un paiement (équipe)"), transactional=True)
