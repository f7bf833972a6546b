"""Public-schema tables of the Stripe boundary (see docs/payments.md).

- ``ConnectedAccount``: the Stripe account each CPTS connected (Connect, direct charges).
- ``StripeRoute``: every Stripe object id WE created, with the CPTS it belongs to. Webhooks are
  routed by this table, never by metadata.
- ``WebhookEvent``: every event received, unique by Stripe's event id (a duplicate is a no-op).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConnectedAccount(models.Model):
    community = models.OneToOneField("tenants.Community", on_delete=models.CASCADE, related_name="+")
    account_id = models.CharField(max_length=255, unique=True)
    charges_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    # True when the account is simulated at our boundary (STRIPE_EMBEDDED: localstripe has no Connect).
    simulated = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # When Stripe held the state stored above (the event's ``created``, or the time we read the
    # account): an older event delivered late never overwrites it (Stripe does not order events).
    stripe_state_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("compte Stripe connecté")

    def __str__(self) -> str:
        return self.account_id


class StripeRoute(models.Model):
    stripe_id = models.CharField(max_length=255, unique=True)
    community = models.ForeignKey("tenants.Community", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.stripe_id} → {self.community_id}"


class WebhookEvent(models.Model):
    class Outcome(models.TextChoices):
        ROUTED = "routed", _("Transmis à la CPTS")
        UNROUTED = "unrouted", _("Objet inconnu")
        MISMATCH = "mismatch", _("Compte et objet de CPTS différentes")
        IGNORED = "ignored", _("Type non traité")

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    account = models.CharField(max_length=255, blank=True)
    object_id = models.CharField(max_length=255, blank=True)
    payload = models.JSONField()
    community = models.ForeignKey(
        "tenants.Community", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.event_id} ({self.type})"
