"""Payment tasks: receipts and credit notes, Stripe events, reconciliation. Thin: load ids, call
the payments services (``apps.payments``). Retries (mail server or Stripe out of reach) are the
task base's declared policy (``workers.base.TenantTask``), not written here.

The registered names keep their ``dues.`` prefix (``dues.issue_receipt``…): a name is the
contract between the code that publishes and the worker that runs it, and messages may be in
flight across a deploy (docs/tasks.md). Every task runs twice and acts once
(tests/dues/test_tasks.py, tests/dues/test_faults.py).
"""

from __future__ import annotations

from celery import shared_task

from apps.dues import autorenew
from apps.dues.calendar import paris_today
from apps.payments import card, receipts
from apps.stripe_gateway.client import is_configured
from tenants.selectors import schemas_holding_data
from workers.base import TenantTask, fan_out

# Spread the per-CPTS reconciliations over this many seconds.
FAN_OUT_SPREAD_SECONDS = 300


@shared_task(base=TenantTask, name="dues.issue_receipt")
def issue_receipt_task(schema_name: str, payment_id: int) -> str:
    """Number the payment's receipt (once), build its PDF and e-mail it (once)."""
    return receipts.issue_and_email(payment_id)


@shared_task(base=TenantTask, name="dues.issue_credit_note")
def issue_credit_note_task(schema_name: str, payment_id: int) -> str:
    """Number, build and e-mail the credit note of a refunded payment (its receipt too if missing)."""
    return receipts.issue_credit_note_and_email(payment_id)


@shared_task(base=TenantTask, name="dues.send_receipt")
def send_receipt_task(schema_name: str, receipt_id: int, force: bool = False) -> str:
    """Build and e-mail a numbered receipt or credit note: once, or again when ``force`` (a
    resend asked by the team). The repair of ``reconcile_pending`` queues it without ``force``."""
    return receipts.send(receipt_id, force=force)


@shared_task(base=TenantTask, name="dues.handle_stripe_event")
def handle_stripe_event_task(schema_name: str, webhook_event_id: int) -> str:
    """Apply a routed Stripe event to this CPTS (re-reading the object from Stripe)."""
    return card.handle_stored_event(webhook_event_id, schema_name)


@shared_task(base=TenantTask, name="dues.reconcile_payments")
def reconcile_payments_task(schema_name: str, older_than_seconds: int = 600) -> dict:
    """Ask Stripe about what a lost webhook would have told (``card.reconcile_pending``); queue
    the automatic renewals Stripe was out of reach for (every 15 minutes while there are some)."""
    result = card.reconcile_pending(older_than_seconds=older_than_seconds)
    autorenew.queue_retry_of_unreached(paris_today().year)
    return result


@shared_task(name="dues.fan_out_reconciliation")
def fan_out_reconciliation_task() -> int:
    if not is_configured():
        return 0
    return fan_out(
        reconcile_payments_task, spread_seconds=FAN_OUT_SPREAD_SECONDS, schemas=schemas_holding_data()
    )
