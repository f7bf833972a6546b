"""Receipts (reçus de cotisation; reçus de paiement of paid events) and credit notes: gapless
numbering (one sequence for both), PDF, e-mail.

Numbering: one ``ReceiptCounter`` row per kind and year, locked with SELECT … FOR UPDATE in the
same transaction that inserts the receipt. Either both commit or neither does, so numbers have
no gaps and no duplicates however many payments complete at once (tests/dues/test_receipts.py).

What a receipt says of the CPTS comes from the registered issuer, what it says of the thing paid
from the payable's ``receipt_content`` hook (``apps.payments.registry``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from fpdf import FPDF

from apps.mailing import mail
from apps.professionals.models import ProfessionalProfile
from tenants.selectors import current_community

from . import registry
from .models import DISPUTE_LOST, EMAIL_SENT, EMAIL_SUPPRESSED, Payment, Receipt, ReceiptCounter

# Receipts are dated and numbered by the year in France.
PARIS = ZoneInfo("Europe/Paris")

PREFIX = {Receipt.Kind.RECEIPT: "", Receipt.Kind.CREDIT_NOTE: "AV-"}


def allocate_number(kind: str, year: int) -> int:
    """Next sequence for ``kind``/``year``. Must run inside the transaction creating the receipt."""
    ReceiptCounter.objects.bulk_create([ReceiptCounter(kind=kind, year=year)], ignore_conflicts=True)
    counter = ReceiptCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _paris_today() -> date:
    return timezone.localtime(timezone.now(), PARIS).date()


def _content(payment: Payment, kind: str) -> dict:
    hooks, obj = registry.payable_of(payment)
    user = get_user_model().objects.get(pk=hooks.payer_id(obj))
    profile = ProfessionalProfile.objects.filter(user_id=user.pk).first()
    issuer = registry.issuer()
    community = current_community()
    paid_at = payment.paid_at or timezone.now()
    content = {
        "association": issuer.legal_name or community.name,
        "address": issuer.address,
        "legal_identifier": issuer.legal_identifier,
        "vat_mention": issuer.vat_mention,
        "member_name": user.get_full_name() or user.email,
        "member_email": user.email,
        "member_identifier": (
            f"{profile.get_identifier_type_display()} {profile.identifier}"
            if profile and profile.identifier
            else ""
        ),
        "profession": profile.get_profession_display() if profile else "",
        "amount": str(payment.amount),
        "method": payment.get_method_display(),
        "paid_on": timezone.localtime(paid_at, PARIS).strftime("%d/%m/%Y"),
        "reference": payment.reference,
    }
    content.update(hooks.receipt_content(payment))
    return content


def issue(payment_id: int, kind: str = Receipt.Kind.RECEIPT) -> Receipt | None:
    """The receipt, or the credit note, of a payment, numbered once. Idempotent.

    A receipt: one per paid payment; an existing one is returned as is. A credit note: one per
    refund seen, for the part of the refunded total (``Payment.amount_refunded``: a partial
    refund, then the rest) that no earlier note covers; when all of it is covered the latest note
    is returned as is. None when the payment is not in a state that calls for it."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related(
                "dues__membership__user", "dues__tier", "registration__user", "registration__event"
            )
            .filter(pk=payment_id)
            .first()
        )
        if payment is None or payment.status not in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
            return None
        if kind == Receipt.Kind.RECEIPT:
            existing = Receipt.objects.filter(payment=payment, kind=kind).first()
            if existing is not None:
                return existing
            return _create(payment, kind, _content(payment, kind))
        return _issue_credit_note(payment)


def _issue_credit_note(payment: Payment) -> Receipt | None:
    """The credit note for the refunded part not covered yet (payment row locked by the caller)."""
    refunded = payment.amount_refunded
    if payment.status == Payment.Status.REFUNDED:
        refunded = payment.amount
    notes = list(Receipt.objects.filter(payment=payment, kind=Receipt.Kind.CREDIT_NOTE).order_by("pk"))
    covered = max((note.refunded_total or payment.amount for note in notes), default=Decimal("0"))
    if refunded <= covered:
        return notes[-1] if notes else None
    cancels = Receipt.objects.filter(payment=payment, kind=Receipt.Kind.RECEIPT).first()
    if cancels is None:
        return None
    content = _content(payment, Receipt.Kind.CREDIT_NOTE)
    content["amount"] = str(refunded - covered)
    content["cancels"] = cancels.number
    content["partial"] = refunded < payment.amount
    content["disputed"] = payment.dispute_status == DISPUTE_LOST
    return _create(payment, Receipt.Kind.CREDIT_NOTE, content, cancels=cancels, refunded_total=refunded)


def _create(payment: Payment, kind: str, content: dict, **fields) -> Receipt:
    year = _paris_today().year
    sequence = allocate_number(kind, year)
    return Receipt.objects.create(
        kind=kind,
        year=year,
        sequence=sequence,
        number=f"{PREFIX[kind]}{year}-{sequence:06d}",
        payment=payment,
        content=content,
        **fields,
    )


def _latin1(text: str) -> str:
    # The PDF is written with fpdf2's core fonts in Windows-1252 (render_pdf sets it), which has
    # "€", "’", "–", "…" and "œ"; anything else outside it becomes "?".
    return text.encode("cp1252", "replace").decode("cp1252")


def render_pdf(receipt: Receipt) -> bytes:
    c = receipt.content
    credit = receipt.kind == Receipt.Kind.CREDIT_NOTE
    event = c.get("payable") == "event"
    document = c.get("document", "Reçu de cotisation")
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "cp1252"
    pdf.set_title(f"{'Avoir' if credit else document} {receipt.number}")
    pdf.set_author(_latin1(c["association"]))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, _latin1(c["association"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in [*c["address"].splitlines(), c["legal_identifier"]]:
        if line.strip():
            pdf.cell(0, 5, _latin1(line.strip()), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 14)
    title = "AVOIR" if credit else document.upper()
    pdf.cell(0, 8, _latin1(f"{title} N° {receipt.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    issued = timezone.localtime(receipt.issued_at, PARIS).strftime("%d/%m/%Y")
    pdf.cell(0, 6, _latin1(f"Émis le {issued}"), new_x="LMARGIN", new_y="NEXT")
    if credit:
        if c.get("disputed"):
            cancelled = f"Annule le reçu n° {c.get('cancels', '')} (paiement contesté, repris par la banque)"
        elif c.get("partial"):
            cancelled = f"Annule en partie le reçu n° {c.get('cancels', '')} (remboursement partiel)"
        else:
            cancelled = f"Annule le reçu n° {c.get('cancels', '')} (remboursement)"
        pdf.cell(0, 6, _latin1(cancelled), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    rows = [
        ("Adhérent", c["member_name"]),
        ("Adresse e-mail", c["member_email"]),
        ("Identifiant", c["member_identifier"] or "-"),
        ("Profession", c["profession"] or "-"),
        ("Objet", c.get("object") or f"Cotisation {c['year']} - {c['tier']}"),
        ("Date de l'événement" if event else "Période", c["period"]),
        ("Montant", f"{'-' if credit else ''}{c['amount'].replace('.', ',')} €"),
        ("Moyen de paiement", c["method"] + (f" ({c['reference']})" if c.get("reference") else "")),
        ("Date du paiement", c["paid_on"]),
    ]
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(50, 7, _latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 7, _latin1(str(value)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, _latin1(c["vat_mention"]), new_x="LMARGIN", new_y="NEXT")
    footer = (
        "Reçu de paiement à conserver. Ce document n'est pas un reçu fiscal de don (Cerfa 11580)."
        if event
        else "Reçu de cotisation à conserver : la cotisation est déductible des revenus professionnels "
        "des professionnels libéraux. Ce document n'est pas un reçu fiscal de don (Cerfa 11580)."
    )
    pdf.multi_cell(0, 5, _latin1(footer), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def ensure_pdf(receipt: Receipt) -> Receipt:
    """Render and store the PDF once (files live under the CPTS's own media prefix).

    One UPDATE, conditional on the PDF still missing: of two concurrent calls, the loser deletes its
    own file and takes the winner's."""
    if receipt.pdf:
        return receipt
    name = f"receipts/{receipt.year}/{receipt.number}.pdf"
    receipt.pdf.save(name, ContentFile(render_pdf(receipt)), save=False)
    if not Receipt.objects.filter(pk=receipt.pk, pdf="").update(pdf=receipt.pdf.name):
        receipt.pdf.storage.delete(receipt.pdf.name)
        receipt.pdf.name = Receipt.objects.values_list("pdf", flat=True).get(pk=receipt.pk)
    return receipt


def email(receipt: Receipt, *, force: bool = False) -> bool:
    """E-mail the receipt to the payer once (``force`` resends). True when a mail was sent; False
    when it was sent already, another worker is sending it at this very moment, or the payer's
    address is blocked (``email_outcome`` « suppressed », ``emailed_at`` left empty: never stamped
    as sent when nothing was).

    The PDF is built first, on its own. Then one transaction locks the receipt alone, sends, and
    stamps ``emailed_at`` with a single UPDATE. Holding one row lock and asking for no other, it
    cannot take part in a deadlock: the paths that lock both a payment and its receipt lock the
    payment first (``issue``), and the receipt lock is NO KEY UPDATE, so a credit note referencing
    the receipt is not blocked by it. (A second UPDATE of the same row in one transaction would have
    PostgreSQL check its foreign keys again at commit, locking the payment last, out of order.) The
    payment is not locked while the SMTP server answers: refunds and webhooks never wait for it.
    A worker dying after the send and before the commit sends it again on the next run: at least
    once, never silently lost.
    """
    ensure_pdf(receipt)
    with transaction.atomic():
        # A mail of this receipt already in progress (skip_locked): it sends, or its transaction
        # dies and the repair comes back. Waiting would stack every repair behind a hung SMTP server.
        locked = (
            Receipt.objects.select_for_update(no_key=True, skip_locked=True).filter(pk=receipt.pk).first()
        )
        if locked is None or (locked.emailed_at is not None and not force):
            return False
        community = current_community()
        credit = locked.kind == Receipt.Kind.CREDIT_NOTE
        context = {"receipt": locked, "content": locked.content, "community": community, "credit": credit}
        with locked.pdf.open("rb") as handle:
            pdf = handle.read()
        outcome = mail.send(
            # Once per receipt; a resend asked by the team (force) is a new mail every time.
            key=None if force else f"payments.receipt:{locked.pk}",
            to=locked.content["member_email"],
            subject=(
                f"{'Avoir' if credit else locked.content.get('document', 'Reçu de cotisation')} "
                f"n° {locked.number} — {community.name}"
            ),
            template="payments/email/receipt",
            context=context,
            kind="payments.receipt",
            attachments=[(f"{locked.number}.pdf", pdf, "application/pdf")],
        )
        if not outcome.done:
            return False
        if outcome is mail.Outcome.SUPPRESSED:
            # Nothing left our server: not « envoyé ». Kept for the team, not retried by the repair.
            Receipt.objects.filter(pk=locked.pk).update(email_outcome=EMAIL_SUPPRESSED)
            return False
        Receipt.objects.filter(pk=locked.pk).update(emailed_at=timezone.now(), email_outcome=EMAIL_SENT)
    return outcome is mail.Outcome.SENT


def issued_on(receipt: Receipt) -> datetime:
    return timezone.localtime(receipt.issued_at, PARIS)


def issue_and_email(payment_id: int) -> str:
    """Number the payment's receipt (once), build its PDF and e-mail it (once). Returns its
    number, or ``skipped`` when the payment calls for none. SMTP errors (OSError) propagate: the
    number is kept and a retry only sends."""
    receipt = issue(payment_id)
    if receipt is None:
        return "skipped"
    email(receipt)
    return receipt.number


def issue_credit_note_and_email(payment_id: int) -> str:
    """Number, build and e-mail the credit note of a refunded payment (once each); its receipt
    too if that was still missing (its task may still be queued, or lost). Returns the credit
    note's number or ``skipped``; SMTP errors propagate."""
    receipt = issue(payment_id)
    if receipt is not None:
        email(receipt)
    note = issue(payment_id, Receipt.Kind.CREDIT_NOTE)
    if note is None:
        return "skipped"
    email(note)
    return note.number


def send(receipt_id: int, *, force: bool = False) -> str:
    """Build and e-mail a numbered receipt or credit note: once, or again when ``force``.
    Returns ``sent`` or ``skipped``; SMTP errors propagate."""
    receipt = Receipt.objects.filter(pk=receipt_id).first()
    if receipt is None:
        return "skipped"
    return "sent" if email(receipt, force=force) else "skipped"
