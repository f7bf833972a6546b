"""Moving Payment, Receipt and ReceiptCounter from ``apps.dues`` to ``apps.payments`` loses nothing.

A fresh CPTS schema is migrated to the last migrations before the move, filled through the
historical (pre-move) models — dues and event payments, receipts, a refund with its credit note,
the gapless counters — then migrated forward: every row is still there, still linked, and the
next receipt number follows the last one issued before the move.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.payments import receipts
from apps.payments.models import Payment, Receipt, ReceiptCounter

SCHEMA = "before_payments_move"
MOVE = {
    ("dues", "0008_payments_move_to_payments_app"),
    ("payments", "0001_initial"),
    ("payments", "0002_content_types_follow_the_move"),
}
# Payments migrations written after the move: a schema left before it gets them in the same run.
AFTER_THE_MOVE = {
    ("payments", "0003_payment_cancelled_on_stripe_at"),
    ("payments", "0004_refunds_and_disputes"),
    ("payments", "0005_receipt_email_outcome"),
    ("payments", "0006_dispute_fees"),
}


def _before_move(graph) -> list[tuple[str, str]]:
    """Every app at its latest migration, except the dues and payments apps, left just before the move."""
    targets = {app: name for app, name in graph.leaf_nodes() if app != "payments"}
    targets["dues"] = "0007_duessettings_grace_days"
    return sorted(targets.items())


def _fill_the_old_way(old_apps, *, user_id: int) -> dict:
    Membership = old_apps.get_model("members", "Membership")
    Tier = old_apps.get_model("dues", "Tier")
    Dues = old_apps.get_model("dues", "Dues")
    Event = old_apps.get_model("events", "Event")
    Registration = old_apps.get_model("events", "Registration")
    OldPayment = old_apps.get_model("dues", "Payment")
    OldReceipt = old_apps.get_model("dues", "Receipt")
    OldCounter = old_apps.get_model("dues", "ReceiptCounter")
    assert OldPayment._meta.db_table == "dues_payment"

    now = timezone.now()
    membership = Membership.objects.create(user_id=user_id)
    tier = Tier.objects.create(name="Libéral", price=Decimal("30.00"))
    dues_paid = Dues.objects.create(membership=membership, year=2025, tier=tier, amount=Decimal("30.00"))
    dues_refunded = Dues.objects.create(
        membership=membership, year=2026, tier=tier, amount=Decimal("30.00"), status="refunded"
    )
    event = Event.objects.create(
        title="Soirée",
        starts_at=now + timedelta(days=9),
        ends_at=now + timedelta(days=9, hours=2),
        price=Decimal("12.00"),
        capacity=20,
    )
    registration = Registration.objects.create(event=event, user_id=user_id, status="confirmed")

    by_card = OldPayment.objects.create(
        dues=dues_paid,
        method="card",
        amount=Decimal("30.00"),
        status="succeeded",
        paid_at=now,
        stripe_payment_intent_id="pi_before_move",
        stripe_account_id="acct_before_move",
        platform_fee=Decimal("0.30"),
    )
    refunded = OldPayment.objects.create(
        dues=dues_refunded,
        method="cheque",
        amount=Decimal("30.00"),
        status="refunded",
        paid_at=now,
        refunded_at=now,
        reference="CHQ 1234",
        recorded_by_id=user_id,
    )
    seat = OldPayment.objects.create(
        registration=registration,
        method="card",
        amount=Decimal("12.00"),
        status="succeeded",
        paid_at=now,
        stripe_payment_intent_id="pi_seat_before_move",
    )
    failed = OldPayment.objects.create(
        dues=dues_refunded,
        method="card",
        amount=Decimal("30.00"),
        status="failed",
        failure_reason="card_declined",
    )
    issued = []
    for sequence, payment in enumerate([by_card, refunded, seat], start=1):
        issued.append(
            OldReceipt.objects.create(
                kind="receipt",
                number=f"2026-{sequence:05d}",
                year=2026,
                sequence=sequence,
                payment=payment,
                content={"amount": str(payment.amount)},
            )
        )
    credit_note = OldReceipt.objects.create(
        kind="credit_note",
        number="AV-2026-00001",
        year=2026,
        sequence=1,
        payment=refunded,
        cancels=issued[1],
        content={"amount": "30.00"},
    )
    OldCounter.objects.create(kind="receipt", year=2026, last=3)
    OldCounter.objects.create(kind="credit_note", year=2026, last=1)
    return {
        "payments": {
            p.pk: (p.dues_id, p.registration_id, p.method, p.amount, p.status, p.stripe_payment_intent_id)
            for p in (by_card, refunded, seat, failed)
        },
        "receipts": {r.number: (r.pk, r.kind, r.payment_id, r.cancels_id) for r in [*issued, credit_note]},
        "refunded": refunded.pk,
        "recorded_by": user_id,
    }


def test_payments_receipts_and_refunds_filled_before_the_move_survive_it(world, db):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{SCHEMA}"')
    connection.set_schema(SCHEMA)
    executor = MigrationExecutor(connection)
    before_move = _before_move(executor.loader.graph)
    executor.migrate(before_move)
    old_apps = executor.loader.project_state(before_move, at_end=True).apps
    before = _fill_the_old_way(old_apps, user_id=world.bob.pk)
    content_types = _old_content_types()
    with connection.cursor() as cursor:
        # Check the rows' foreign keys now, as the commit would have (the test runs in one transaction).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    assert {(migration.app_label, migration.name) for migration, _ in plan} == MOVE | AFTER_THE_MOVE
    executor.migrate(executor.loader.graph.leaf_nodes())

    after = {
        p.pk: (p.dues_id, p.registration_id, p.method, p.amount, p.status, p.stripe_payment_intent_id)
        for p in Payment.objects.all()
    }
    assert after == before["payments"]
    assert {r.number: (r.pk, r.kind, r.payment_id, r.cancels_id) for r in Receipt.objects.all()} == before[
        "receipts"
    ]

    refunded = Payment.objects.select_related("dues").get(pk=before["refunded"])
    assert refunded.status == Payment.Status.REFUNDED and refunded.refunded_at is not None
    assert refunded.recorded_by_id == before["recorded_by"] and refunded.dues.status == "refunded"
    credit_note = refunded.receipts.get(kind=Receipt.Kind.CREDIT_NOTE)
    assert credit_note.cancels.payment_id == refunded.pk and credit_note.cancels.number == "2026-00002"
    # Refunded before partial refunds existed: refunded in full, its one credit note covering it all.
    assert refunded.amount_refunded == refunded.amount and credit_note.refunded_total == refunded.amount
    seat = Payment.objects.get(stripe_payment_intent_id="pi_seat_before_move")
    assert seat.registration.payments.get() == seat and seat.receipts.get().number == "2026-00003"
    assert dict(ReceiptCounter.objects.values_list("kind", "last")) == {"receipt": 3, "credit_note": 1}
    # Numbering goes on from the last number issued before the move: no gap, no reuse.
    assert receipts.allocate_number(Receipt.Kind.RECEIPT, 2026) == 4
    # No stale content type left: renamed where alone (same id), dropped where payments' existed.
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_label, model, id FROM django_content_type ORDER BY model")
        assert cursor.fetchall() == [
            ("dues", "dues", content_types["dues.dues"]),
            ("payments", "payment", content_types["payments.payment"]),
            ("payments", "receipt", content_types["dues.receipt"]),
            ("payments", "receiptcounter", content_types["dues.receiptcounter"]),
        ]


def _old_content_types() -> dict[str, int]:
    """The content types a CPTS had before the move, plus ``payments.payment`` as if created by a
    deploy that ran the move already; their ids by ``app.model``."""
    rows = [("dues", "dues"), ("dues", "payment"), ("dues", "receipt"), ("dues", "receiptcounter")]
    rows.append(("payments", "payment"))
    ids = {}
    with connection.cursor() as cursor:
        for app_label, model in rows:
            cursor.execute(
                "INSERT INTO django_content_type (app_label, model) VALUES (%s, %s) RETURNING id",
                [app_label, model],
            )
            ids[f"{app_label}.{model}"] = cursor.fetchone()[0]
    return ids
