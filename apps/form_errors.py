"""A service's ValidationError shown on the form that called it.

Services raise ``ValidationError`` with French messages, keyed by model field where they can
(``ValidationError({"ends_at": ...})``); a view puts each message under its field so the person
sees it where they typed, and anything else at the top of the form.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError


def add_errors_to_form(
    form: forms.BaseForm, error: ValidationError, *, renamed: Mapping[str, str] = {}
) -> None:
    """Add every message of ``error`` to ``form``: under the field of the same name (or the form
    field ``renamed`` maps the service's name to, e.g. ``{"logo": "logo_file"}``) when the form has
    it, otherwise as a non-field error. Nothing is dropped."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        target = renamed.get(field, field)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)
