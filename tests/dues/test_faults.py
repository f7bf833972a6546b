"""Receipts under faults: concurrent tasks on one payment, lost tasks, killed workers.

Every receipt and credit note ends numbered, built and e-mailed once (docs/payments.md,
"Receipts under faults")."""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.dues.models import Dues, Tier
from apps.members.models import Membership
from apps.payments import card as payments
from apps.payments import receipts
from apps.payments.models import Payment, Receipt, ReceiptCounter
from tests.conftest import start_worker, stop_worker, wait_until
from workers.payments import (
    issue_credit_note_task,
    issue_receipt_task,
    reconcile_payments_task,
    send_receipt_task,
)

CONCURRENT_RUNS = 25
FIRST_YEAR = 3200


@contextmanager
def committed_payments(world, count: int, *, status: str):
    """``count`` committed card-less payments of bob's dues in CPTS A (one per far-future year),
    deleted afterwards with their receipts; the receipt counters are put back."""
    with schema_context(world.a.schema_name):
        bob = Membership.objects.get(user=world.bob)
        tier = Tier.objects.first()
        counters = {(c.kind, c.year): c.last for c in ReceiptCounter.objects.all()}
        ids = []
        for offset in range(count):
            dues = Dues.objects.create(
                membership=bob, year=FIRST_YEAR + offset, tier=tier, amount=Decimal("5"), status="active"
            )
            payment = Payment.objects.create(
                dues=dues,
                method="cash",
                amount=Decimal("5"),
                status=status,
                paid_at=timezone.now(),
                refunded_at=timezone.now() if status == "refunded" else None,
            )
            ids.append(payment.pk)
    try:
        yield ids
    finally:
        with schema_context(world.a.schema_name):
            Receipt.objects.filter(payment_id__in=ids, kind=Receipt.Kind.CREDIT_NOTE).delete()
            Receipt.objects.filter(payment_id__in=ids).delete()
            Payment.objects.filter(pk__in=ids).delete()
            Dues.objects.filter(membership=bob, year__gte=FIRST_YEAR).delete()
            for (kind, year), last in counters.items():
                ReceiptCounter.objects.filter(kind=kind, year=year).update(last=last)
            for counter in ReceiptCounter.objects.all():
                if (counter.kind, counter.year) not in counters:
                    counter.delete()
        connection.set_schema_to_public()


def test_receipt_mail_and_credit_note_of_one_payment_run_together_without_deadlock(world, django_db_blocker):
    """The receipt task (mails the receipt: locks it, stamps it) and the credit-note task (locks
    the payment, numbers a note referencing the receipt) for the same payment, started together in
    real threads on real connections, many times: no deadlock escapes, both finish."""
    schema = world.a.schema_name
    with django_db_blocker.unblock(), committed_payments(world, CONCURRENT_RUNS, status="refunded") as ids:
        with schema_context(schema):
            for payment_id in ids:  # numbered, not built nor mailed yet: the mail task's work
                receipts.issue(payment_id)
        errors: list[BaseException] = []

        def run(task, payment_id, barrier):
            try:
                barrier.wait(timeout=10)
                task.apply(args=(schema, payment_id)).get(disable_sync_subtasks=False)
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)
            finally:
                connections.close_all()

        started = time.monotonic()
        for payment_id in ids:
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=run, args=(task, payment_id, barrier))
                for task in (issue_receipt_task, issue_credit_note_task)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        elapsed = time.monotonic() - started
        with schema_context(schema):
            documents = list(
                Receipt.objects.filter(payment_id__in=ids).values("kind", "number", "emailed_at", "pdf")
            )

    assert errors == [], errors[:3]
    assert len(documents) == 2 * CONCURRENT_RUNS
    assert all(d["emailed_at"] is not None and d["pdf"] for d in documents)
    numbers = sorted(d["number"] for d in documents)
    mailed = sorted(m.subject.split(" n° ")[1].split(" ")[0] for m in mail.outbox)
    assert mailed == numbers, "each receipt and credit note mailed exactly once"
    print(f"{CONCURRENT_RUNS} concurrent receipt/credit-note pairs in {elapsed:.1f}s")


def test_the_repair_finishes_receipts_left_unbuilt_or_unmailed_once(
    world, db, community_a, bob, django_capture_on_commit_callbacks
):
    """A receipt numbered long enough ago but never built nor mailed (its worker died) is
    finished by the reconciliation; run twice, it mails once."""
    with schema_context(community_a.schema_name):
        membership = Membership.objects.get(user=bob)
        tier = Tier.objects.first()
        dues = Dues.objects.create(
            membership=membership, year=2026, tier=tier, amount=tier.price, status="active"
        )
        payment = Payment.objects.create(
            dues=dues, method="cheque", amount=tier.price, status="succeeded", paid_at=timezone.now()
        )
        receipt = receipts.issue(payment.pk)
        Receipt.objects.filter(pk=receipt.pk).update(issued_at=timezone.now() - timedelta(minutes=11))
        assert not receipt.pdf and receipt.emailed_at is None
        for _run in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                payments.reconcile_pending(older_than_seconds=600)
        receipt.refresh_from_db()
        # A receipt of the same age already mailed, and a fresh unmailed one, are left alone.
        assert receipt.pdf and receipt.emailed_at is not None
    assert [m.subject for m in mail.outbox] == [f"Reçu de cotisation n° {receipt.number} — CPTS Alpha"]
    assert mail.outbox[0].attachments[0][0] == f"{receipt.number}.pdf"


def test_a_receipt_issued_just_now_is_left_to_its_own_task(
    world, db, community_a, bob, django_capture_on_commit_callbacks
):
    with schema_context(community_a.schema_name):
        membership = Membership.objects.get(user=bob)
        tier = Tier.objects.first()
        dues = Dues.objects.create(
            membership=membership, year=2026, tier=tier, amount=tier.price, status="active"
        )
        payment = Payment.objects.create(
            dues=dues, method="cheque", amount=tier.price, status="succeeded", paid_at=timezone.now()
        )
        receipt = receipts.issue(payment.pk)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            payments.reconcile_pending(older_than_seconds=600)
        receipt.refresh_from_db()
    assert callbacks == [] and receipt.emailed_at is None and mail.outbox == []


@contextmanager
def silent_smtp_server():
    """An SMTP server that accepts connections and never answers: a worker sending mail through
    it hangs in the middle of the send, as long as we like."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def ran_to_the_end(worker, task_name: str) -> bool:
    return re.search(rf"{re.escape(task_name)}\[[^\]]+\] succeeded", worker.log()) is not None


def kill(worker) -> None:
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait(15)


@pytest.mark.worker
def test_a_worker_killed_between_numbering_and_mailing_a_receipt_is_repaired_mailed_once(
    real_worker, world, django_db_blocker, tmp_path
):
    """A real worker numbers a receipt, then hangs in the SMTP exchange and is killed (SIGKILL).
    The periodic repair (reconciliation task, on another real worker) builds and mails it; when
    Redis later hands the killed worker's task out again, it runs and mails nothing more."""
    schema = world.a.schema_name
    queue = f"faults-{os.getpid()}"
    with django_db_blocker.unblock(), committed_payments(world, 1, status="succeeded") as (payment_id,):
        with silent_smtp_server() as port:
            doomed = start_worker(
                tmp_path / "doomed", hostname=f"doomed-{os.getpid()}@%h", queues=queue,
                env={"TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                     "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)},
            )  # fmt: skip
            try:
                issue_receipt_task.apply_async((schema, payment_id), queue=queue)

                def numbered():
                    with schema_context(schema):
                        return Receipt.objects.filter(payment_id=payment_id).first()

                receipt = wait_until(numbered, timeout=30)
                time.sleep(1)  # now in the SMTP exchange that never ends
                # Meanwhile another worker asked to mail it does not wait behind the hung one.
                skipped = r"dues.send_receipt\[[^\]]+\] succeeded in [^:]+: 'skipped'"
                before = len(re.findall(skipped, real_worker.log()))
                send_receipt_task.delay(schema, receipt.pk)
                wait_until(lambda: len(re.findall(skipped, real_worker.log())) > before, timeout=30)
                kill(doomed)
            finally:
                stop_worker(doomed)
        killed_at = time.monotonic()
        with schema_context(schema):
            receipt.refresh_from_db()
            Receipt.objects.filter(pk=receipt.pk).update(issued_at=timezone.now() - timedelta(seconds=1))
        assert receipt.emailed_at is None, "the mail was never sent"

        # The periodic repair (here every 5 s with a 1 s delay, instead of every 15 min with 10 min).
        last_repair = [0.0]

        def mailed():
            if time.monotonic() - last_repair[0] > 5:
                reconcile_payments_task.delay(schema, 1)
                last_repair[0] = time.monotonic()
            with schema_context(schema):
                return Receipt.objects.filter(pk=receipt.pk, emailed_at__isnull=False).exclude(pdf="").first()

        repaired = wait_until(mailed, timeout=60)
        repaired_after = time.monotonic() - killed_at

        # Redis hands the killed worker's task out again (visibility timeout shortened to 5 s).
        second = start_worker(
            tmp_path / "second", hostname=f"second-{os.getpid()}@%h", queues=queue,
            env={"CELERY_VISIBILITY_TIMEOUT": "5"},
        )  # fmt: skip
        try:
            wait_until(lambda: ran_to_the_end(second, "dues.issue_receipt"), timeout=60)
        finally:
            stop_worker(second)

    mails = [m for m in real_worker.sent_mails() + second.sent_mails() if repaired.number in m]
    assert len(mails) == 1, (real_worker.log(), second.log())
    assert f"{repaired.number}.pdf" in mails[0]
    print(f"killed worker's receipt built and mailed by the repair {repaired_after:.1f}s after the kill")


VISIBILITY_TIMEOUT = 20


@pytest.mark.worker
def test_a_task_held_by_a_killed_worker_runs_again_within_the_visibility_timeout(
    world, django_db_blocker, tmp_path
):
    """A real worker is killed (SIGKILL) in the middle of a task: nothing acknowledged it, so
    another worker runs it once the broker's visibility timeout has passed (production: 15 min;
    here 20 s), plus at most one 10 s sweep of Redis."""
    from cpts_platform.celery import app

    schema = world.a.schema_name
    queue = f"lost-{os.getpid()}"
    previous_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with django_db_blocker.unblock(), committed_payments(world, 1, status="succeeded") as (payment_id,):
            with silent_smtp_server() as port:
                doomed = start_worker(
                    tmp_path / "doomed", hostname=f"doomed-{os.getpid()}@%h", queues=queue,
                    env={"TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                         "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)},
                )  # fmt: skip
                try:
                    issue_receipt_task.apply_async((schema, payment_id), queue=queue)
                    wait_until(lambda: "dues.issue_receipt" in doomed.log(), timeout=30)
                    time.sleep(1)
                    kill(doomed)
                finally:
                    stop_worker(doomed)
            killed_at = time.monotonic()
            second = start_worker(
                tmp_path / "second", hostname=f"second-{os.getpid()}@%h", queues=queue,
                env={"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)},
            )  # fmt: skip
            try:

                def mailed():
                    with schema_context(schema):
                        return Receipt.objects.filter(payment_id=payment_id, emailed_at__isnull=False).first()

                receipt = wait_until(mailed, timeout=VISIBILITY_TIMEOUT + 60)
                ran_again_after = time.monotonic() - killed_at
            finally:
                stop_worker(second)
    finally:
        app.conf.task_always_eager = previous_eager

    print(
        f"killed worker's task ran again {ran_again_after:.1f}s after the kill (timeout {VISIBILITY_TIMEOUT}s)"
    )
    assert VISIBILITY_TIMEOUT - 5 <= ran_again_after <= VISIBILITY_TIMEOUT + 10 + 15
    mails = [m for m in second.sent_mails() if receipt.number in m]
    assert len(mails) == 1
