from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    name = "apps.mailing"
    label = "mailing"
    verbose_name = _("Envoi des e-mails")

    def ready(self) -> None:
        from anymail.signals import tracking

        from .tracking import record_tracking_event

        tracking.connect(record_tracking_event, dispatch_uid="apps.mailing.record_tracking_event")


@checks.register(checks.Tags.security, deploy=True)
def webhook_secret_is_set(app_configs=None, **_kwargs) -> list[checks.CheckMessage]:
    """Sending through a provider without a webhook secret would let anyone post bounces."""
    if settings.EMAIL_BACKEND.startswith("anymail.") and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return [checks.Error("ANYMAIL_WEBHOOK_SECRET is not set: the delivery webhooks would be open.",
                             id="mailing.E001")]  # fmt: skip
    return []
