"""Payments of one CPTS (tables in the CPTS's schema): what members pay — a year's dues or a
seat at a paid event — by card or offline, and the receipts and credit notes that document them.

A ``Payment`` pays exactly one payable (``dues`` or ``registration``, CHECK constraint); the
payable's own app says what being paid means (``apps.payments.registry``). Each successful
payment gets one ``Receipt`` numbered without gaps per CPTS, kind and year; a refund adds a
credit note for the amount refunded (one per refund seen, a partial refund included), it never
deletes a receipt. The tables keep their first names (``dues_payment``,
``dues_receipt``, ``dues_receiptcounter``): the models moved here from ``apps.dues`` without
moving a row.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Carte bancaire")
    SEPA = "sepa", _("Prélèvement SEPA")
    CHEQUE = "cheque", _("Chèque")
    TRANSFER = "transfer", _("Virement")
    CASH = "cash", _("Espèces")


OFFLINE_METHODS = (PaymentMethod.CHEQUE, PaymentMethod.TRANSFER, PaymentMethod.CASH)

# Stripe's smallest card charge in euros: a price between 0 and this can never be paid by card.
MIN_CARD_AMOUNT = Decimal("0.50")


def below_card_minimum(amount: Decimal) -> bool:
    """A price that is not free (0) yet below what a card payment can charge."""
    return amount != 0 and amount < MIN_CARD_AMOUNT


# What a dispute's status and reason mean for the team (Stripe's codes; unknown ones shown as is).
DISPUTE_STATES = {
    "warning_needs_response": _("réponse attendue sur Stripe"),
    "needs_response": _("réponse attendue sur Stripe"),
    "warning_under_review": _("en cours d'examen par la banque"),
    "under_review": _("en cours d'examen par la banque"),
    "warning_closed": _("close sans suite"),
    "won": _("gagnée, le paiement reste acquis"),
}
DISPUTE_REASONS = {
    "fraudulent": _("fraude alléguée"),
    "duplicate": _("paiement en double"),
    "unrecognized": _("paiement non reconnu"),
    "product_not_received": _("service non reçu"),
    "subscription_canceled": _("adhésion résiliée"),
    "credit_not_processed": _("remboursement non reçu"),
    "general": _("motif général"),
}
DISPUTE_LOST = "lost"


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SUCCEEDED = "succeeded", _("Payé")
        FAILED = "failed", _("Échoué")
        REFUNDED = "refunded", _("Remboursé")
        CANCELLED = "cancelled", _("Annulé")

    # What the payment pays: a year's dues or a registration to a paid event, exactly one of them
    # (CHECK constraint below). Everything else — Stripe, webhooks, receipts — is shared.
    dues = models.ForeignKey(
        "dues.Dues", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    registration = models.ForeignKey(
        "events.Registration", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(_("moyen de paiement"), max_length=10, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("montant (€)"), max_digits=8, decimal_places=2)
    platform_fee = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    stripe_account_id = models.CharField(max_length=255, blank=True)
    off_session = models.BooleanField(default=False)
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(_("payé le"), null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # What Stripe says was refunded on the charge so far (a partial refund from the CPTS's
    # dashboard leaves the payment « Payé »); the whole amount once refunded.
    amount_refunded = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    # A chargeback opened by the payer's bank: Stripe's dispute status (``needs_response``,
    # ``under_review``, ``won``, ``lost``…) and reason, as of ``dispute_state_at`` (the event's
    # time: an older event delivered late never rolls it back). Empty when never disputed.
    dispute_status = models.CharField(max_length=40, blank=True)
    dispute_reason = models.CharField(max_length=60, blank=True)
    dispute_state_at = models.DateTimeField(null=True, blank=True)
    # What Stripe took from the CPTS's balance as dispute fees on this payment, and what it gave
    # back (a dispute won, when Stripe returns the fee): the totals of its ``DisputeFee`` rows.
    dispute_fee = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    dispute_fee_returned = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    # When Stripe was seen to hold this attempt's PaymentIntent cancelled (final there): the
    # reconciliation stops reading it back (``card._recheck_closed_attempts``).
    cancelled_on_stripe_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dues_payment"
        verbose_name = _("paiement")
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(dues__isnull=False, registration__isnull=True)
                    | models.Q(dues__isnull=True, registration__isnull=False)
                ),
                name="payment_pays_exactly_one",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} € ({self.status})"

    @property
    def payable(self) -> dict:
        """What this payment pays, as keyword arguments: ``{"dues": …}`` or ``{"registration": …}``."""
        return {"dues": self.dues} if self.dues_id else {"registration": self.registration}

    @property
    def dispute_label(self) -> str:
        """What the team is told of a chargeback on this payment ("" when never disputed)."""
        if not self.dispute_status:
            return ""
        if self.dispute_status == DISPUTE_LOST:
            return str(_("Contestation bancaire perdue : la banque a repris le paiement"))
        return str(_("Contestation bancaire : %(state)s (%(reason)s)")) % {
            "state": DISPUTE_STATES.get(self.dispute_status, self.dispute_status),
            "reason": DISPUTE_REASONS.get(self.dispute_reason, self.dispute_reason or "—"),
        }

    @property
    def dispute_fee_label(self) -> str:
        """What the team is told of the dispute fees Stripe took on this payment ("" when none)."""
        if not self.dispute_fee:
            return ""
        fee = f"{self.dispute_fee:.2f}".replace(".", ",")
        if self.dispute_fee_returned >= self.dispute_fee:
            return str(_("frais de contestation Stripe de %(fee)s €, rendus")) % {"fee": fee}
        if self.dispute_fee_returned:
            returned = f"{self.dispute_fee_returned:.2f}".replace(".", ",")
            return str(_("frais de contestation Stripe de %(fee)s €, dont %(returned)s € rendus")) % {
                "fee": fee,
                "returned": returned,
            }
        return str(_("frais de contestation Stripe de %(fee)s €")) % {"fee": fee}

    @property
    def partly_refunded(self) -> bool:
        return self.status == self.Status.SUCCEEDED and self.amount_refunded > 0

    @property
    def payer_user_id(self) -> int:
        return self.dues.membership.user_id if self.dues_id else self.registration.user_id


class DisputeFee(models.Model):
    """One movement of dispute fees on the CPTS's Stripe balance for a chargeback on ``payment``:
    one row per Stripe balance transaction of the dispute (``balance_transaction_id``, unique, so a
    transaction seen in several events, or an event delivered twice, is recorded once). ``amount``
    is the transaction's ``fee`` as Stripe states it: positive when taken (funds withdrawn, 15 € in
    France), negative when given back (funds reinstated after a dispute won, when Stripe returns
    it). Kept as accounting records, like receipts."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="dispute_fees")
    dispute_id = models.CharField(max_length=255)
    balance_transaction_id = models.CharField(max_length=255, unique=True)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    currency = models.CharField(max_length=3, default="eur")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("frais de contestation")
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.amount} {self.currency}"


# ``Receipt.email_outcome``: the mail reached the mail server, or the mail path refused the address.
EMAIL_SENT = "sent"
EMAIL_SUPPRESSED = "suppressed"


class Receipt(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Reçu de cotisation")
        CREDIT_NOTE = "credit_note", _("Avoir")

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RECEIPT)
    number = models.CharField(_("numéro"), max_length=20)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="receipts")
    cancels = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # What the document states, frozen at issue (a receipt is never rewritten).
    content = models.JSONField(default=dict)
    pdf = models.FileField(upload_to="receipts/", blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    # When the e-mail reached the mail server (None while not sent, and when it was never sent).
    emailed_at = models.DateTimeField(null=True, blank=True)
    # What the last sending did: "sent", or "suppressed" (the payer's address is blocked after a
    # hard bounce: nothing was sent, the team is told and can send it again). "" before any try.
    email_outcome = models.CharField(max_length=12, blank=True)
    # A credit note: the payment's refunded total once this note is counted (its own amount is
    # that total minus the earlier notes'). None on a receipt.
    refunded_total = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        db_table = "dues_receipt"
        verbose_name = _("reçu")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="receipt_gapless_unique"),
            models.UniqueConstraint(fields=["number"], name="receipt_number_unique"),
            models.UniqueConstraint(
                fields=["payment"], condition=models.Q(kind="receipt"), name="receipt_one_per_payment"
            ),
            # One credit note per refund seen: each covers the payment's refunded total up to
            # ``refunded_total`` (a partial refund, then the rest, make two notes).
            models.UniqueConstraint(
                fields=["payment", "refunded_total"],
                condition=models.Q(kind="credit_note"),
                name="credit_note_once_per_refund",
            ),
        ]
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number


class ReceiptCounter(models.Model):
    """Last number used per kind and year; locked with SELECT … FOR UPDATE to stay gapless."""

    kind = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "dues_receiptcounter"
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="receipt_counter_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"
