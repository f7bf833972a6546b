"""Per-message claims of the bulk senders (a campaign's slice, a batch of digests) committed
without waiting for the disk.

Both senders commit one claim statement per message before any byte of it reaches the mail server
(their at-most-once guarantee). A commit that waits for the WAL flush costs a flush per message
(6.6 ms against 0.6 ms measured on the development machine): it would set the pace of the whole
wave. Inside ``commits_without_disk_wait`` a commit is still atomic, visible to every other
session at once and kept however the worker ends (a killed worker changes nothing to what
PostgreSQL committed): at most once holds whatever happens to workers. Only a crash of the
PostgreSQL server itself can lose the last commits before it (at most three ``wal_writer_delay``,
0.6 s by default): the messages claimed in that fraction of a second may be sent a second time.
The first commit after the block that waits for the disk flushes everything before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def commits_without_disk_wait() -> Iterator[None]:
    """The connection's commits return without waiting for the disk (``synchronous_commit`` off)
    inside the block, set back after it (a session setting: the pooler must keep the session,
    PgBouncer in session mode)."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
