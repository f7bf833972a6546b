"""Which CPTS, request and task a log line belongs to.

``RequestIdMiddleware`` gives every request an id; ``ContextFilter`` (in ``LOGGING``) adds
``cpts``, ``request_id`` and ``task_id`` to every record, which the JSON formatter writes out
(``LOG_FORMAT=json``, the production default). Kept free of model imports: the logging
configuration loads it before the apps are ready.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from celery import current_task
from django.db import connection

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = contextvars.ContextVar("request_id", default="")
# An id a proxy passes on is kept only if it looks like one (no log injection through it).
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _REQUEST_ID.get()


class RequestIdMiddleware:
    """The proxy's ``X-Request-ID`` when it is sane, else a new one; returned in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _ACCEPTABLE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = _REQUEST_ID.set(request_id)
        try:
            request.request_id = request_id
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            _REQUEST_ID.reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.cpts = getattr(connection, "schema_name", "") or ""
        record.request_id = _REQUEST_ID.get()
        request = getattr(current_task, "request", None) if current_task else None
        record.task_id = getattr(request, "id", None) or ""
        return True
