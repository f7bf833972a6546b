"""What a ``Payment`` can pay, registered by the app that owns the payable; who issues the receipts.

The payments code opens card attempts, settles, refunds and issues receipts without importing
the apps whose things are paid: each such app registers, in its ``AppConfig.ready``, a
``Payable`` named after the ``Payment`` foreign key that points at it (``dues`` by ``apps.dues``,
``registration`` for an event seat by ``apps.events``). The payments code reaches the payable
only through these hooks, so the owning app may import the payments code and never the other
way round. None is built in.

Every hook runs inside the caller's transaction; none commits or publishes work itself except
through ``enqueue_on_commit``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True)
class Payable:
    """Hooks of one kind of payable (the object a ``Payment``'s ``field`` foreign key points at).

    - ``payer_id(obj)``: the account that pays ``obj`` (and receives its receipts).
    - ``refusal(obj)``: why a card payment for ``obj`` cannot go on now ("" when it can).
    - ``lock_for_card(obj)``: ``obj`` read again and locked for a card attempt, with the amount to
      charge (the caller then asks ``refusal`` of the locked row). Every open-or-create of a card
      attempt for ``obj`` happens under this lock.
    - ``refusal_to_confirm(payment)``: why that pending attempt must not be confirmed now ("" when
      it may; e.g. the seat's hold ran out or its price changed).
    - ``metadata(obj)``: ids written on the PaymentIntent (besides the CPTS and the payment).
    - ``lock_before_payment(payment_id)``: takes the locks the payable's changes take before
      the payment row (same lock order everywhere); True when that payment pays such a payable.
    - ``amount_due(payment)``: what the payable costs now (payment row locked; may lock the payable).
    - ``on_paid(payment)``: the payment succeeded (its row locked and saved; ``failure_reason``
      says whether it settles the payable, see ``apps.payments.settlement``).
    - ``on_refunded(payment, seen_on_stripe)``: a refund was recorded for the payment (ours, or
      seen on Stripe, e.g. made from the CPTS's dashboard; the payable's own locks are then held).
    - ``receipt_content(payment)``: what the receipt says of the payable (period, object…).
    - ``payer_may_refund``: the payer may have their own payment refunded (giving up a seat);
      otherwise refunds are the team's.
    - ``team_path(obj)``: the path of the team's page where a payment of ``obj`` is shown (the
      member's page, the event's registrants), linked from what the team is told (a dispute).
    """

    field: str
    payer_id: Callable[[Any], int]
    refusal: Callable[[Any], str]
    lock_for_card: Callable[[Any], tuple[Any, Decimal]]
    refusal_to_confirm: Callable[[Any], str]
    metadata: Callable[[Any], dict]
    lock_before_payment: Callable[[int], bool]
    amount_due: Callable[[Any], Decimal]
    on_paid: Callable[[Any], object]
    on_refunded: Callable[..., object]
    receipt_content: Callable[[Any], dict]
    payer_may_refund: bool = False
    team_path: Callable[[Any], str] | None = None


class Issuer(Protocol):
    """The CPTS as it appears on its receipts, and the platform's share of its card payments."""

    legal_name: str
    address: str
    legal_identifier: str
    vat_mention: str
    platform_fee_percent: Decimal


_payables: dict[str, Payable] = {}
_issuer: list[Callable[[], Issuer]] = []


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


def payable_of(payment) -> tuple[Payable, Any]:
    """The hooks of what ``payment`` pays, and that object; LookupError if nothing registered."""
    for field, hooks in _payables.items():
        if getattr(payment, f"{field}_id", None) is not None:
            return hooks, getattr(payment, field)
    raise LookupError(f"payment {payment.pk} pays nothing registered")


def one_payable(kwargs: dict) -> tuple[Payable, Any]:
    """``{"dues": obj}`` or ``{"registration": obj}`` (exactly one registered field) → hooks, obj."""
    given = [(field, obj) for field, obj in kwargs.items() if obj is not None]
    if len(given) != 1:
        raise TypeError("pay exactly one payable")
    field, obj = given[0]
    return payable(field), obj


def registered() -> dict[str, Payable]:
    return dict(_payables)


def register_issuer(provider: Callable[[], Issuer]) -> None:
    """Declare where the CPTS's receipt identity and platform fee are read (one provider)."""
    _issuer[:] = [provider]


def issuer() -> Issuer:
    """The current CPTS's issuer settings; LookupError if no app registered a provider."""
    if not _issuer:
        raise LookupError("no issuer registered for receipts")
    return _issuer[0]()
