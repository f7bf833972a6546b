"""What a ``Payment`` can pay besides dues, registered by the app that owns the payable.

The payments code settles and refunds payments without importing the apps whose things are
paid: each such app registers, in its ``AppConfig.ready``, a ``Payable`` named after the
``Payment`` foreign key that points at it (``registration`` for an event seat, by
``apps.events``). The payments code then reaches the payable only through these hooks, so the
owning app may import the payments code and never the other way round.

Every hook runs inside the caller's transaction; none commits or publishes work itself except
through ``enqueue_on_commit``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Payable:
    """Hooks of one kind of payable (the object a ``Payment``'s ``field`` foreign key points at).

    - ``refusal(obj)``: why a card payment for ``obj`` cannot go on now ("" when it can).
    - ``lock_for_card(obj)``: ``obj`` read again and locked for a card attempt, with the amount to
      charge (the caller then asks ``refusal`` of the locked row).
    - ``lock_before_payment(payment_id)``: takes the locks the payable's changes take before
      the payment row (same lock order everywhere); True when that payment pays such a payable.
    - ``on_paid(payment)``: the payment succeeded (its row locked and saved).
    - ``on_refunded(payment)``: a refund seen on Stripe was recorded for the payment.
    """

    field: str
    refusal: Callable[[Any], str]
    lock_for_card: Callable[[Any], tuple[Any, Decimal]]
    lock_before_payment: Callable[[int], bool]
    on_paid: Callable[[Any], object]
    on_refunded: Callable[[Any], object]


_payables: dict[str, Payable] = {}


def register(payable: Payable) -> None:
    """Declare a payable (from the owning app's ``AppConfig.ready``). Registering the same field
    twice replaces the hooks (``ready`` may run again in tests)."""
    _payables[payable.field] = payable


def payable(field: str) -> Payable:
    """The hooks registered for the ``Payment`` foreign key ``field``; LookupError if none."""
    try:
        return _payables[field]
    except KeyError:
        raise LookupError(f"no payable registered for Payment.{field}") from None


def registered() -> dict[str, Payable]:
    return dict(_payables)
