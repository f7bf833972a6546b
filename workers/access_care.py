"""Tasks of the médecin-traitant desk (apps.access_care): thin wrappers of its mails (sent through
the one mail path, apps/access_care/mails.py) and the daily retention run. Transport errors are
raised and retried by the task base; every task runs twice and acts once."""

from __future__ import annotations

from celery import shared_task

from apps.access_care import mails, services
from tenants.selectors import schemas_holding_data
from workers.base import TenantTask, fan_out

RETENTION_SPREAD_SECONDS = 10 * 60


@shared_task(base=TenantTask, name="access_care.notify_gp")
def notify_gp_task(schema_name: str, proposal_id: int) -> str:
    """Tell a GP a request waits for their answer (a link, no patient data)."""
    return mails.notify_gp(proposal_id)


@shared_task(base=TenantTask, name="access_care.notify_patient")
def notify_patient_task(schema_name: str, request_id: int) -> str:
    """E-mail the patient the GP who accepted them (the CPTS's template)."""
    return mails.notify_patient(request_id)


@shared_task(base=TenantTask, name="access_care.notify_team_answer")
def notify_team_answer_task(schema_name: str, proposal_id: int) -> str:
    """Tell the desk's team a GP answered (a link, no name)."""
    return mails.notify_team_answer(proposal_id)


@shared_task(base=TenantTask, name="access_care.notify_new_request")
def notify_new_request_task(schema_name: str, request_id: int) -> str:
    """Tell the desk's team a request came from the public form (a link, no name)."""
    return mails.notify_new_request(request_id)


@shared_task(base=TenantTask, name="access_care.apply_retention")
def apply_retention_task(schema_name: str) -> int:
    """Anonymise closed requests past the CPTS's delay and purge access-log rows past 12 months.
    Runs twice, acts once (see services.anonymise_due)."""
    anonymised = services.anonymise_due()
    services.purge_access_log()
    return anonymised


@shared_task(name="access_care.fan_out_retention")
def fan_out_retention_task() -> int:
    """Beat entry (daily): one retention task per CPTS holding data (suspended and closed ones too)."""
    return fan_out(
        apply_retention_task, spread_seconds=RETENTION_SPREAD_SECONDS, schemas=schemas_holding_data()
    )


@shared_task(base=TenantTask, name="access_care.recompute_priorities")
def recompute_priorities_task(schema_name: str) -> int:
    """Rescore the open requests for today (70 reached, months waited). Runs twice, acts once:
    only changed scores are written (see services.recompute_priorities)."""
    return services.recompute_priorities()


@shared_task(name="access_care.fan_out_priorities")
def fan_out_priorities_task() -> int:
    """Beat entry (daily, after midnight): one recompute per open CPTS (suspended and closed ones
    take no new request)."""
    return fan_out(recompute_priorities_task, spread_seconds=RETENTION_SPREAD_SECONDS)
