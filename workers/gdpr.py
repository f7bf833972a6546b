"""Personal data: the retention jobs, one per open CPTS, fanned out by beat; the archives built
out of the request (a person's data, a CPTS's archive) and their purge, in the public schema."""

from __future__ import annotations

from celery import shared_task

from apps.compliance import exports
from apps.compliance.retention import apply_retention
from tenants.selectors import schemas_holding_data
from workers.base import (
    RETRY_BACKOFF_MAX_SECONDS,
    RETRY_BACKOFF_SECONDS,
    RETRY_MAX,
    TRANSIENT_SERVICE_ERRORS,
    TenantTask,
    fan_out,
)


@shared_task(base=TenantTask, name="gdpr.apply_retention")
def apply_retention_task(schema_name: str) -> dict[str, int]:
    """Delete what is past its retention delay in this CPTS (``apps.compliance.retention``). Runs
    twice, acts once: the second run finds nothing past its delay."""
    return apply_retention()


@shared_task(name="gdpr.fan_out_retention")
def fan_out_retention_task(spread_seconds: int = 600) -> int:
    """Beat entry: one retention job per CPTS holding data (suspended and closed ones too), spread
    over ten minutes by default."""
    return fan_out(apply_retention_task, spread_seconds=spread_seconds, schemas=schemas_holding_data())


# Public-schema tasks (an export is the platform's, not one CPTS's: a person's data spans several):
# the same retry policy as TenantTask for a mail server or bucket that does not answer.
PUBLIC_RETRIES = {
    "autoretry_for": TRANSIENT_SERVICE_ERRORS,
    "max_retries": RETRY_MAX,
    "retry_backoff": RETRY_BACKOFF_SECONDS,
    "retry_backoff_max": RETRY_BACKOFF_MAX_SECONDS,
    "retry_jitter": True,
}


@shared_task(name="gdpr.build_export", **PUBLIC_RETRIES)
def build_export_task(export_id: int) -> str:
    """Build, store and announce one archive (``apps.compliance.exports``). Runs twice, builds
    once, mails once."""
    return exports.build_export(export_id)


@shared_task(name="gdpr.purge_expired_exports")
def purge_expired_exports_task() -> int:
    """Beat entry: delete the archives past DATA_EXPORT_RETENTION_DAYS. Runs twice, acts once."""
    return exports.purge_expired_exports()
