"""Celery's « no result.get() inside a task » flag belongs to the thread running the task: an eager
task running in one thread never makes another thread's ``.get()`` fail, nor leaves the flag set."""

from __future__ import annotations

import threading

import pytest
from celery.result import assert_will_not_block, denied_join_result

from workers.directory import refresh_national_extracts_task


def test_a_task_running_in_another_thread_does_not_block_this_threads_get(settings):
    """What an eager ``apply_async`` does in another thread (a live server thread, say): it holds
    ``denied_join_result`` while its task runs. Meanwhile this thread runs and waits on a task."""
    settings.NATIONAL_EXTRACT_URLS = {"rpps": "", "finess": ""}
    inside, done = threading.Event(), threading.Event()

    def other_thread_runs_a_task():
        with denied_join_result():
            inside.set()
            done.wait(10)

    other = threading.Thread(target=other_thread_runs_a_task)
    other.start()
    try:
        assert inside.wait(10)
        assert refresh_national_extracts_task.apply().get() == {
            "skipped": "no national extract URL configured"
        }
    finally:
        done.set()
        other.join()


def test_tasks_entering_and_leaving_interleaved_leave_the_flag_unset():
    """A enters, B enters, A leaves, B leaves: B puts back what it found. Process-wide, that was
    A's True, and the flag stayed set for good."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with denied_join_result():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with denied_join_result():
            b_in.set()
            a_out.wait(10)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_will_not_block()  # raises RuntimeError while the flag is set
    with denied_join_result(), pytest.raises(RuntimeError):
        assert_will_not_block()  # inside a task of this thread, .get() is still refused
