"""French formatting for every template (registered as a template builtin in settings: no
``{% load %}`` needed).

- ``{{ amount|euros }}`` → « 5,00 € », « 1 234,50 € »: always two decimals, French separators.
- ``{{ n|pluriel }}`` / ``{{ n|pluriel:"al,aux" }}``: the plural ending by the French rule, where 0
  and 1 take the singular (« 0 place restante », « 2 places restantes »); Django's ``pluralize``
  follows the English rule (« 0 places »).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


def format_euros(value) -> str:
    """The amount ``value`` (Decimal, int, float or numeric string) as « 1 234,50 € »; "" if it is
    not a number (a missing amount shows nothing rather than « None € »)."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    return f"{number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)} €"


@register.filter
def euros(value) -> str:
    return format_euros(value)


@register.filter
def pluriel(value, forms: str = "s") -> str:
    """The ending for ``value`` items: ``forms`` is the plural ending ("s") or "singular,plural"."""
    singular, plural = forms.split(",", 1) if "," in forms else ("", forms)
    try:
        count = abs(Decimal(str(len(value) if hasattr(value, "__len__") else value)))
    except (InvalidOperation, ValueError, TypeError):
        return singular
    return plural if count >= 2 else singular


# Status values across the platform, by what they mean to the reader.
TONES = {
    "ok": {"active", "done", "succeeded", "paid", "validated", "published", "confirmed", "deployed", "ready"},
    "warn": {"pending", "running", "draft", "submitted", "planned", "in_progress", "waitlisted", "provisioning",
             "scheduled", "late_start", "late_deployment"},
    "bad": {"failed", "cancelled", "refunded", "expired", "abandoned", "suspended", "closed", "lapsed"},
}  # fmt: skip
TONE_OF = {status: tone for tone, statuses in TONES.items() for status in statuses}


@register.filter
def tone(status) -> str:
    """The CSS class colouring a status badge by meaning: ``<span class="badge {{ s|tone }}">``
    gives ``tone-ok`` (done, paid…), ``tone-warn`` (waiting, draft…), ``tone-bad`` (failed,
    cancelled…) or ``tone-info`` for any other value."""
    return f"tone-{TONE_OF.get(str(status), 'info')}"
