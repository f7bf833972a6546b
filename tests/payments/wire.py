"""The HTTP wire between our code and (local)Stripe, observed by tests.

``StripeWire`` is the stripe library's own ``RequestsClient``: every request really goes to
localstripe. It records what our code sent (method, path, form parameters, whether a database
transaction was open at that moment) and can run a test's callback just before a chosen request
leaves, to interleave another actor at an exact point. Parameters localstripe does not implement
(Connect-only ones: ``application_fee_amount``, ``refund_application_fee``) can be recorded and
then left out of what is forwarded, so the code path used with the real Stripe can be exercised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import stripe
from django.db import connection
from stripe._http_client import RequestsClient


@dataclass
class Sent:
    method: str
    path: str
    params: dict
    in_transaction: bool
    thread: str


@dataclass
class StripeWire(RequestsClient):
    drop: tuple[str, ...] = ()
    before: Callable[[Sent], None] | None = None
    sent: list[Sent] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def request(self, method, url, headers, post_data=None):
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        params = dict(parse_qsl(body, keep_blank_values=True))
        parts = urlsplit(url)
        params.update(parse_qsl(parts.query, keep_blank_values=True))
        sent = Sent(
            method=method.upper(),
            path=parts.path,
            params=params,
            in_transaction=connection.in_atomic_block,
            thread=threading.current_thread().name,
        )
        with self._lock:
            self.sent.append(sent)
        if self.before is not None:
            self.before(sent)
        if self.drop and body:
            kept = [(k, v) for k, v in parse_qsl(body, keep_blank_values=True) if k not in self.drop]
            post_data = urlencode(kept)
        return super().request(method, url, headers, post_data)


def install(monkeypatch, **kwargs) -> StripeWire:
    wire = StripeWire(**kwargs)
    monkeypatch.setattr(stripe, "default_http_client", wire)
    return wire
