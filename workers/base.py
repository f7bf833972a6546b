"""The base class of every per-CPTS task.

Contract: the first positional argument is the schema name of the CPTS, then ids and primitives
only. The task enters that schema before running and refuses the public schema or an unknown
one, so a task can never act "nowhere" (tenant-schemas-celery would silently fall back to public).
"""

from __future__ import annotations

import logging
import random
import smtplib
import socket
import time
from datetime import datetime, timedelta
from typing import Any

import stripe
from celery.contrib.django.task import DjangoTask
from django.db import OperationalError, connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, get_tenant_model
from psycopg import errors as pg_errors

from tenants.selectors import active_schemas

logger = logging.getLogger(__name__)

# No task is queued with a countdown/ETA further than this (TenantTask.apply_async clamps it): the
# broker's visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS) must stay above it plus the run
# time of a task, or Redis hands a delayed task to a second worker early (docs/tasks.md).
LONGEST_COUNTDOWN_SECONDS = 10 * 60
# A deadlock or serialization failure is retried this many times in the same process (the task
# is idempotent, PostgreSQL rolled its transaction back) before going back to the broker.
TRANSIENT_DB_ATTEMPTS = 3
TRANSIENT_DB_ERRORS = (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)
# An outside service that did not answer this time: the mail server (refused, timed out, a 4xx
# reply or a dropped connection), Stripe unreachable or rate-limiting. The task is retried later
# by the broker (TenantTask.autoretry_for); a permanent refusal (a 5xx recipient rejection
# raised as SMTPRecipientsRefused) is retried too, and gives up after RETRY_MAX attempts.
TRANSIENT_SERVICE_ERRORS = (
    smtplib.SMTPException,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    stripe.APIConnectionError,
    stripe.RateLimitError,
)
RETRY_MAX = 5
# Retries wait about 30 s, 1 min, 2 min, 4 min, 8 min (each drawn at random below that: jitter,
# so the tasks that failed together do not come back together), never more than 8 min: below
# LONGEST_COUNTDOWN_SECONDS, so a retry is never handed out twice by Redis.
RETRY_BACKOFF_SECONDS = 30
RETRY_BACKOFF_MAX_SECONDS = 8 * 60


def is_transient_db_error(error: BaseException) -> bool:
    """PostgreSQL gave up this transaction to let another one through (deadlock, serialization
    failure): nothing of it was written, and running the same work again will very likely pass.
    Django wraps the psycopg error in ``django.db.OperationalError`` (its ``__cause__``)."""
    if isinstance(error, TRANSIENT_DB_ERRORS):
        return True
    return isinstance(error, OperationalError) and isinstance(error.__cause__, TRANSIENT_DB_ERRORS)


class PublicSchemaRefused(RuntimeError):
    pass


class TenantTask(DjangoTask):
    """Enqueue with ``delay_on_commit`` (DjangoTask) so workers never see uncommitted rows.

    Deadlocks and serialization failures are transient: the task runs again (it is idempotent),
    up to TRANSIENT_DB_ATTEMPTS times in the same process, then later through the broker.
    Outside services that do not answer (TRANSIENT_SERVICE_ERRORS) are retried through the broker
    with an exponential, jittered, capped backoff, RETRY_MAX times: declared here once, so a task
    only loads its ids and calls a service. Countdowns longer than LONGEST_COUNTDOWN_SECONDS are
    shortened to it.
    """

    abstract = True
    autoretry_for = TRANSIENT_SERVICE_ERRORS
    max_retries = RETRY_MAX
    retry_backoff = RETRY_BACKOFF_SECONDS
    retry_backoff_max = RETRY_BACKOFF_MAX_SECONDS
    retry_jitter = True

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None,
                    link_error=None, shadow=None, **options):  # fmt: skip
        latest = timezone.now() + timedelta(seconds=LONGEST_COUNTDOWN_SECONDS)
        eta = options.get("eta")
        if isinstance(eta, datetime) and eta > latest:
            logger.warning("%s: ETA %s shortened to %ss", self.name, eta, LONGEST_COUNTDOWN_SECONDS)
            options["eta"] = latest
        countdown = options.get("countdown")
        if countdown is not None and countdown > LONGEST_COUNTDOWN_SECONDS:
            logger.warning(
                "%s: countdown %ss shortened to %ss", self.name, countdown, LONGEST_COUNTDOWN_SECONDS
            )
            options["countdown"] = LONGEST_COUNTDOWN_SECONDS
        return super().apply_async(args, kwargs, task_id, producer, link, link_error, shadow, **options)

    def __call__(self, schema_name: str, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(schema_name, str) or schema_name == get_public_schema_name():
            raise PublicSchemaRefused(f"{self.name} must run in a CPTS schema, got {schema_name!r}")
        previous = connection.tenant if hasattr(connection, "tenant") else None
        connection.set_schema_to_public()
        community = get_tenant_model().objects.filter(schema_name=schema_name).first()
        if community is None:
            raise PublicSchemaRefused(f"{self.name}: no CPTS with schema {schema_name!r}")
        connection.set_tenant(community)
        try:
            return self._run_through_transient_errors(schema_name, *args, **kwargs)
        finally:
            if previous is not None:
                connection.set_tenant(previous)
            else:
                connection.set_schema_to_public()

    def _run_through_transient_errors(self, *args: Any, **kwargs: Any) -> Any:
        attempt = 1
        while True:
            try:
                return super().__call__(*args, **kwargs)
            except Exception as error:
                # Inside an outer transaction (eager tests) the whole transaction is lost: let it go.
                if not is_transient_db_error(error) or connection.in_atomic_block:
                    raise
                if attempt >= TRANSIENT_DB_ATTEMPTS:
                    logger.warning("%s: %s, %s times; retried later", self.name, error.__cause__, attempt)
                    raise self.retry(exc=error, countdown=random.randint(5, 30)) from error
                logger.info("%s: %s; running again", self.name, error.__cause__)
                # Jittered, so the two transactions that collided do not collide again.
                time.sleep(random.uniform(0.05, 0.25) * attempt)
                attempt += 1


def fan_out(task, *args: Any, spread_seconds: int = 60, schemas: list[str] | None = None) -> int:
    """Queue ``task(schema, *args)`` once per CPTS of ``schemas`` (default: the open ones), spread
    over ``spread_seconds`` so that ~800 CPTS do not hit the database in the same second. Returns
    how many were queued. Safety nets pass ``tenants.selectors.schemas_holding_data()``."""
    schemas = active_schemas() if schemas is None else schemas
    for index, schema in enumerate(schemas):
        countdown = int(spread_seconds * index / max(len(schemas), 1))
        task.apply_async(args=(schema, *args), countdown=countdown)
    return len(schemas)
