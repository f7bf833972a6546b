"""Mail records: retention of the provider's delivery events (apps/mailing/retention.py), fanned
out by beat to every CPTS holding data; the events naming no CPTS go in the public schema."""

from __future__ import annotations

from celery import shared_task

from apps.mailing import retention
from tenants.selectors import schemas_holding_data
from workers.base import TenantTask, fan_out

RETENTION_SPREAD_SECONDS = 600


@shared_task(base=TenantTask, name="mailing.purge_delivery_events")
def purge_delivery_events_task(schema_name: str) -> int:
    """Delete this CPTS's delivery events past their delay (its campaigns keep their figures).
    Runs twice, acts once."""
    return retention.purge_community_events()


@shared_task(name="mailing.fan_out_event_retention")
def fan_out_event_retention_task(spread_seconds: int = RETENTION_SPREAD_SECONDS) -> int:
    """Beat entry (daily): the events past their delay that belong to no CPTS holding data go
    here; then one purge per CPTS holding data (suspended and closed ones too). Returns the CPTS
    asked."""
    schemas = schemas_holding_data()
    retention.purge_unowned_events(schemas)
    return fan_out(purge_delivery_events_task, spread_seconds=spread_seconds, schemas=schemas)
