from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"
    verbose_name = _("Événements")

    def ready(self) -> None:
        from apps.backoffice.registry import register_sidebar_entry
        from apps.members.space import register_member_space_section
        from apps.notifications.registry import register_kind
        from apps.payments import registry

        from . import services
        from .member_space import paid_registrations_section

        # A seat at a paid event is paid through apps.payments, which never imports this app.
        registry.register(
            registry.Payable(
                field="registration",
                payer_id=services.registration_payer_id,
                refusal=services.registration_refusal,
                lock_for_card=services.lock_registration_for_card,
                refusal_to_confirm=services.registration_refusal_to_confirm,
                metadata=services.registration_payment_metadata,
                lock_before_payment=services.lock_for_payment,
                amount_due=services.seat_price,
                on_paid=services.seat_paid_registration,
                on_refunded=services.seat_refunded,
                receipt_content=services.seat_receipt_content,
                payer_may_refund=True,
                team_path=lambda registration: reverse("events:registrations", args=[registration.event_id]),
            )
        )
        register_member_space_section(paid_registrations_section)
        register_kind(
            "events.reminder", _("Rappels des événements où je suis inscrit(e)"), transactional=False
        )
        # A seat to pay, a seat lost, a cancellation (with its refund): always told.
        register_kind("events.promoted", _("Place libérée sur liste d'attente"), transactional=True)
        register_kind("events.hold_expired", _("Réservation non réglée expirée"), transactional=True)
        register_kind("events.cancelled", _("Annulation d'un événement"), transactional=True)
        register_sidebar_entry(
            group="events",
            label=_("Tous les événements"),
            icon="calendar",
            url_name="events:list",
            role="team",
            order=10,
        )
        register_sidebar_entry(
            group="events",
            label=_("Nouvel événement"),
            icon="calendar-plus",
            url_name="events:create",
            role="team",
            order=20,
        )
