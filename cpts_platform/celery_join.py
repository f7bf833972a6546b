"""Celery's « a task is running here, do not wait on a result » flag, kept per thread.

Celery keeps it in one module global (``celery._state._task_join_will_block``). An eager
``apply_async`` sets it to True for the length of the task (``celery.result.denied_join_result``)
and puts back the value it found on leaving. With two threads running eager tasks at once (tests:
a live server thread, threads racing on a payment), one thread's task makes another thread's
``result.get()`` fail with « Never call result.get() within a task! »; and when the two enter and
leave interleaved (A in, B in, A out, B out), the value B puts back is A's True: the flag stays
True for the whole process, and every later ``.get()`` fails, far from the cause.

``keep_per_thread()`` makes the flag each thread's own: ``celery.result`` (the only reader, and
the writer used by ``denied_join_result``/``allow_join_result``) reads and sets this thread's
value, which defaults to the process-wide one a worker sets once at start for its pool
(``celery.worker.components``, ``celery.concurrency.prefork``, left untouched)."""

from __future__ import annotations

import threading

from celery import _state
from celery import result as celery_result


class _ThisThread(threading.local):
    blocks: bool | None = None


_this_thread = _ThisThread()


def task_join_will_block() -> bool:
    """This thread's flag, or the process's when this thread never set one."""
    blocks = _this_thread.blocks
    return _state.task_join_will_block() if blocks is None else blocks


def set_task_join_will_block(blocks: bool) -> None:
    """Set the flag for this thread only."""
    _this_thread.blocks = blocks


def keep_per_thread() -> None:
    """Route ``celery.result``'s reads and writes of the flag to this thread's value. Idempotent."""
    celery_result.task_join_will_block = task_join_will_block
    celery_result._set_task_join_will_block = set_task_join_will_block
