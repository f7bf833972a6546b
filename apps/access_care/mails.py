"""The desk's e-mails, through the one mail path (apps.mailing.mail), called by thin tasks
(workers/access_care.py). Mails to GPs and to the team carry a link, never patient data; only the
patient's own message (the CPTS's template) names the GP who accepted them. Each function locks
its row, sends with an idempotency key, then stamps the row: runs twice, sends once."""

from __future__ import annotations

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from apps.mailing import mail
from apps.mailing.forget import pseudonymise_recipients
from apps.notifications.service import notify

from . import services
from .models import PatientRequest, Proposal
from .selectors import list_desk_users

GP_PROPOSAL_KIND = "access_care.gp_proposal"


def _url(path: str) -> str:
    return f"{connection.tenant.primary_url().rstrip('/')}{path}"


def desk_team_emails() -> list[str]:
    """Addresses of the team members allowed « accès aux soins »."""
    return sorted({membership.user.email for membership, allowed in list_desk_users() if allowed})


def notify_gp(proposal_id: int) -> str:
    """Tell a GP a request waits for their answer: a link to their member space."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).select_related("gp").first()
        if proposal is None or proposal.gp_notified_at is not None or proposal.status != Proposal.Status.SENT:
            return "skipped"
        context = {"url": _url(reverse("access_care:gp_proposal", args=[proposal.pk]))}
        outcome = notify(
            user=proposal.gp,
            key=f"access_care.gp_proposal:{proposal.pk}",
            url=context["url"],
            subject=mail.render_text(
                "access_care/email/gp_proposal_subject.txt", {"community": connection.tenant}
            ),
            template="access_care/email/gp_proposal",
            context=context,
            kind=GP_PROPOSAL_KIND,
        )
        if not outcome.done:
            return "skipped"
        proposal.gp_notified_at = timezone.now()
        proposal.save(update_fields=["gp_notified_at"])
    return "sent"


def notify_patient(request_id: int) -> str:
    """E-mail the patient the GP who accepted them. Patients who asked for a letter or a call are
    left to the team (printable letter on the request's page): returns "letter"."""
    with transaction.atomic():
        request = PatientRequest.objects.select_for_update().filter(pk=request_id).first()
        if (
            request is None
            or request.patient_notified_at is not None
            or request.status != PatientRequest.Status.ACCEPTED
            or request.anonymised_at is not None
        ):
            return "skipped"
        if request.contact_by != PatientRequest.ContactBy.EMAIL or not request.email:
            return "letter"
        message = services.patient_message(request)
        outcome = mail.send(
            key=f"access_care.patient_found:{request.pk}",
            to=request.email,
            subject=message["subject"],
            template="access_care/email/patient_found",
            context={"body": message["body"]},
            kind="access_care.patient_found",
        )
        if not outcome.done:
            return "skipped"
        # The platform-wide mail log must not show that this address is a desk patient.
        pseudonymise_recipients(
            schema=connection.schema_name, keys=[f"access_care.patient_found:{request.pk}"]
        )
        request.patient_notified_at = timezone.now()
        request.save(update_fields=["patient_notified_at"])
        services.log_access(actor=None, action="mail_patient", request_id=request.pk)
    return "sent"


def _notify_team(row, *, kind: str, key: str, template: str, context: dict) -> str:
    """Mail the desk's team about ``row`` (locked by the caller, its ``team_notified_at`` still
    empty): a link and a number, never a name. Sends with the idempotency key ``key``, then stamps
    the row, so a retry of the task sends once. Returns "sent", "skipped" or "no-recipient"."""
    recipients = desk_team_emails()
    if not recipients:
        return "no-recipient"
    outcome = mail.send(
        key=key,
        to=recipients,
        subject=mail.render_text(f"{template}_subject.txt", {**context, "community": connection.tenant}),
        template=template,
        context=context,
        kind=kind,
    )
    if not outcome.done:
        return "skipped"
    row.team_notified_at = timezone.now()
    row.save(update_fields=["team_notified_at"])
    return "sent"


def notify_team_answer(proposal_id: int) -> str:
    """Tell the desk's team a GP answered (a link to the request; no name)."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
        if (
            proposal is None
            or proposal.team_notified_at is not None
            or proposal.status not in (Proposal.Status.ACCEPTED, Proposal.Status.DECLINED)
        ):
            return "skipped"
        return _notify_team(
            proposal,
            kind="access_care.team_answer",
            key=f"access_care.team_answer:{proposal.pk}",
            template="access_care/email/team_answer",
            context={
                "accepted": proposal.status == Proposal.Status.ACCEPTED,
                "number": proposal.request_id,
                "url": _url(reverse("access_care:request", args=[proposal.request_id])),
            },
        )


def notify_new_request(request_id: int) -> str:
    """Tell the desk's team a request came from the public form (a link; no name)."""
    with transaction.atomic():
        request = PatientRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or request.team_notified_at is not None:
            return "skipped"
        return _notify_team(
            request,
            kind="access_care.new_request",
            key=f"access_care.new_request:{request_id}",
            template="access_care/email/new_request",
            context={"number": request_id, "url": _url(reverse("access_care:request", args=[request_id]))},
        )
