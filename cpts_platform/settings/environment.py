"""The one typed layer through which settings read environment variables.

django-environ reads any boolean it does not recognise as False (``OPERATOR_2FA_REQUIRED=ture``
would silently turn the operators' second factor off) and lets ``int`` raise a bare ValueError
that does not name the variable. ``StrictEnv`` refuses both: a boolean is one of the words below,
an integer is digits (with an optional sign, within the bounds given), and anything else raises
``ImproperlyConfigured`` naming the variable and the value, so the process does not start.

An empty value counts as unset (the default applies), so ``.env.example`` copied as is to ``.env``
changes nothing.
"""

from __future__ import annotations

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class StrictEnv(environ.Env):
    """``environ.Env`` whose ``bool`` and ``int`` refuse malformed values (see module docstring)."""

    def _raw(self, var: str) -> str | None:
        value = self.ENVIRON.get(f"{self.prefix}{var}")
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def bool(self, var: str, default=environ.Env.NOTSET) -> bool:  # type: ignore[override]
        raw = self._raw(var)
        if raw is None:
            if default is self.NOTSET:
                raise ImproperlyConfigured(f"Set the {var} environment variable (true or false).")
            return default
        word = raw.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ImproperlyConfigured(
            f"{var}={raw!r} is not a boolean: use one of {', '.join(sorted(TRUE_WORDS | FALSE_WORDS))}."
        )

    def int(  # type: ignore[override]
        self,
        var: str,
        default=environ.Env.NOTSET,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        raw = self._raw(var)
        if raw is None:
            if default is self.NOTSET:
                raise ImproperlyConfigured(f"Set the {var} environment variable (an integer).")
            return default
        digits = raw[1:] if raw[:1] in "+-" else raw
        if not digits.isascii() or not digits.isdigit():
            raise ImproperlyConfigured(f"{var}={raw!r} is not an integer.")
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{var}={raw!r} is below its minimum, {minimum}.")
        if maximum is not None and value > maximum:
            raise ImproperlyConfigured(f"{var}={raw!r} is above its maximum, {maximum}.")
        return value
