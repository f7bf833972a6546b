"""Receipt numbers stay gapless and unique when payments complete at the same time."""

from __future__ import annotations

import threading
from decimal import Decimal

from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.dues.models import Dues, Tier
from apps.members.models import Membership
from apps.payments import receipts
from apps.payments.models import Payment, Receipt, ReceiptCounter

THREADS = 8


def test_concurrent_payments_get_consecutive_unique_numbers(world, django_db_blocker):
    """Real transactions in real threads (one connection each), all released together."""
    with django_db_blocker.unblock():
        with schema_context(world.a.schema_name):
            bob = Membership.objects.get(user=world.bob)
            tier = Tier.objects.first()
            payment_ids = []
            for offset in range(THREADS):
                dues = Dues.objects.create(
                    membership=bob, year=3000 + offset, tier=tier, amount=Decimal("5"), status="active"
                )
                payment_ids.append(
                    Payment.objects.create(
                        dues=dues,
                        method="cash",
                        amount=Decimal("5"),
                        status="succeeded",
                        paid_at=timezone.now(),
                    ).pk
                )
            before = ReceiptCounter.objects.filter(kind="receipt").values_list("year", "last")
            before = dict(before)
        barrier = threading.Barrier(THREADS)
        numbers: list[str] = []
        errors: list[BaseException] = []

        def pay(payment_id: int) -> None:
            try:
                with schema_context(world.a.schema_name):
                    barrier.wait(timeout=10)
                    numbers.append(receipts.issue(payment_id).number)
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=pay, args=(pk,)) for pk in payment_ids]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            with schema_context(world.a.schema_name):
                issued = list(Receipt.objects.filter(payment_id__in=payment_ids).order_by("sequence"))
                again = receipts.issue(payment_ids[0]).number  # idempotent: same receipt
        finally:
            with schema_context(world.a.schema_name):
                Receipt.objects.filter(payment_id__in=payment_ids).delete()
                Payment.objects.filter(pk__in=payment_ids).delete()
                Dues.objects.filter(membership=bob, year__gte=3000).delete()
                for year, last in before.items():
                    ReceiptCounter.objects.filter(kind="receipt", year=year).update(last=last)
                ReceiptCounter.objects.filter(kind="receipt").exclude(year__in=before).delete()
            connection.set_schema_to_public()

    assert errors == []
    year = issued[0].year
    start = before.get(year, 0)
    assert [r.sequence for r in issued] == list(range(start + 1, start + THREADS + 1))
    assert sorted(numbers) == [f"{year}-{n:06d}" for n in range(start + 1, start + THREADS + 1)]
    assert again == issued[0].number if issued[0].payment_id == payment_ids[0] else again in numbers
