"""Personal data: the retention jobs, one per open CPTS, fanned out by beat."""

from __future__ import annotations

from celery import shared_task

from apps.compliance.retention import apply_retention
from tenants.selectors import schemas_holding_data
from workers.base import TenantTask, fan_out


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
