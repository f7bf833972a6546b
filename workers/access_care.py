"""Tasks of the médecin-traitant desk (apps.access_care): the e-mails (GP, patient, team) and the
daily retention run. E-mails to GPs and to the team carry a link, never patient data; only the
patient's own message names the GP who accepted them. Each mail task locks its row, sends, then
stamps it: runs twice, sends once."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.access_care import services
from apps.access_care.models import PatientRequest, Proposal
from apps.access_care.selectors import list_desk_users
from workers.base import TenantTask, fan_out

RETENTION_SPREAD_SECONDS = 10 * 60


def _url(path: str) -> str:
    return f"{connection.tenant.primary_url().rstrip('/')}{path}"


def _send(task, *, subject: str, template: str, context: dict, to: list[str]) -> None:
    try:
        send_mail(
            subject=subject, message=render_to_string(template, context), from_email=None, recipient_list=to
        )
    except OSError as exc:  # SMTP unreachable: transient
        raise task.retry(exc=exc, countdown=60 * (task.request.retries + 1)) from exc


def _desk_team_emails() -> list[str]:
    return sorted({m.user.email for m, allowed in list_desk_users() if allowed})


@shared_task(base=TenantTask, name="access_care.notify_gp", bind=True, max_retries=5)
def notify_gp_task(self, schema_name: str, proposal_id: int) -> str:
    """Tell a GP a request waits for their answer: a link to their member space, no patient data."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).select_related("gp").first()
        if proposal is None or proposal.gp_notified_at is not None or proposal.status != Proposal.Status.SENT:
            return "skipped"
        context = {
            "community": connection.tenant,
            "url": _url(reverse("access_care:gp_proposal", args=[proposal.pk])),
        }
        _send(
            self,
            subject=render_to_string("access_care/email/gp_proposal_subject.txt", context).strip(),
            template="access_care/email/gp_proposal.txt",
            context=context,
            to=[proposal.gp.email],
        )
        proposal.gp_notified_at = timezone.now()
        proposal.save(update_fields=["gp_notified_at"])
    return "sent"


@shared_task(base=TenantTask, name="access_care.notify_patient", bind=True, max_retries=5)
def notify_patient_task(self, schema_name: str, request_id: int) -> str:
    """E-mail the patient the GP who accepted them (the CPTS's template). Patients who asked for a
    letter or a call are left to the team (printable letter on the request's page)."""
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
        _send(
            self,
            subject=message["subject"],
            template="access_care/email/patient_found.txt",
            context=message,
            to=[request.email],
        )
        request.patient_notified_at = timezone.now()
        request.save(update_fields=["patient_notified_at"])
        services.log_access(actor=None, action="mail_patient", request_id=request.pk)
    return "sent"


@shared_task(base=TenantTask, name="access_care.notify_team_answer", bind=True, max_retries=5)
def notify_team_answer_task(self, schema_name: str, proposal_id: int) -> str:
    """Tell the desk's team a GP answered (a link to the request; no name)."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
        if (
            proposal is None
            or proposal.team_notified_at is not None
            or proposal.status not in (Proposal.Status.ACCEPTED, Proposal.Status.DECLINED)
        ):
            return "skipped"
        recipients = _desk_team_emails()
        if not recipients:
            return "no-recipient"
        context = {
            "community": connection.tenant,
            "accepted": proposal.status == Proposal.Status.ACCEPTED,
            "number": proposal.request_id,
            "url": _url(reverse("access_care:request", args=[proposal.request_id])),
        }
        _send(
            self,
            subject=render_to_string("access_care/email/team_answer_subject.txt", context).strip(),
            template="access_care/email/team_answer.txt",
            context=context,
            to=recipients,
        )
        proposal.team_notified_at = timezone.now()
        proposal.save(update_fields=["team_notified_at"])
    return "sent"


@shared_task(base=TenantTask, name="access_care.notify_new_request", bind=True, max_retries=5)
def notify_new_request_task(self, schema_name: str, request_id: int) -> str:
    """Tell the desk's team a request came from the public form (a link; no name)."""
    with transaction.atomic():
        request = PatientRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None or request.team_notified_at is not None:
            return "skipped"
        recipients = _desk_team_emails()
        if not recipients:
            return "no-recipient"
        context = {
            "community": connection.tenant,
            "number": request_id,
            "url": _url(reverse("access_care:request", args=[request_id])),
        }
        _send(
            self,
            subject=render_to_string("access_care/email/new_request_subject.txt", context).strip(),
            template="access_care/email/new_request.txt",
            context=context,
            to=recipients,
        )
        request.team_notified_at = timezone.now()
        request.save(update_fields=["team_notified_at"])
    return "sent"


@shared_task(base=TenantTask, name="access_care.apply_retention")
def apply_retention_task(schema_name: str) -> int:
    """Anonymise closed requests past the CPTS's delay and purge access-log rows past 12 months.
    Runs twice, acts once (see services.anonymise_due)."""
    anonymised = services.anonymise_due()
    services.purge_access_log()
    return anonymised


@shared_task(name="access_care.fan_out_retention")
def fan_out_retention_task() -> int:
    """Beat entry (daily): one retention task per active CPTS."""
    return fan_out(apply_retention_task, spread_seconds=RETENTION_SPREAD_SECONDS)
