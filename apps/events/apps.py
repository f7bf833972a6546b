from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"
    verbose_name = _("Événements")

    def ready(self) -> None:
        from apps.members.space import register_member_space_section
        from apps.payments import registry

        from . import services
        from .member_space import paid_registrations_section

        # A seat at a paid event is paid through apps.payments, which never imports this app.
        registry.register(
            registry.Payable(
                field="registration",
                refusal=services.registration_refusal,
                lock_for_card=services.lock_registration_for_card,
                lock_before_payment=services.lock_for_payment,
                on_paid=services.seat_paid_registration,
                on_refunded=services.release_refunded_seat,
            )
        )
        register_member_space_section(paid_registrations_section)
