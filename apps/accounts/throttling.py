"""Login throttling (django-axes): how a login attempt is identified and when logins stop.

Failures are counted, over the last ``AXES_COOLOFF_TIME``, along the three combinations axes is
configured with (``AXES_LOCKOUT_PARAMETERS``), each against its own cap:

- one e-mail from one address (``AXES_FAILURE_LIMIT``, 5): somebody mistyping their password;
- one e-mail from every address (``LOGIN_ACCOUNT_FAILURE_LIMIT``, 20): one account guessed from
  many addresses;
- one address for every e-mail (``LOGIN_ADDRESS_FAILURE_LIMIT``, 30): one address spraying
  many accounts.

Reaching any cap suspends the matching logins until the oldest counted failure is older than the
cool-off. Axes compares one number with one limit, so ``LayeredLimitsHandler.get_failures`` reports
the worst combination in units of the pair's cap (reached exactly when one of the caps is).

Every password check of the site goes through ``django.contrib.auth.authenticate`` with the
request (login page, invitation page for an existing account), so each is counted and held back
the same way, and answered by the same French page (``apps.accounts.views.locked_out``).
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.http import HttpRequest

PAIR = ("ip_address", "username")
ACCOUNT = ("username",)
ADDRESS = ("ip_address",)


def attempted_email(request, credentials) -> str:
    """The e-mail typed, normalised as the login is (case-insensitive): ``Alice@x.fr`` and
    ``alice@x.fr`` share one failure count."""
    source = credentials if credentials else getattr(request, "POST", {})
    return (source.get("username") or "").strip().lower()


def failure_limits() -> dict[tuple[str, ...], int]:
    """The cap of each counted combination (see the module docstring)."""
    return {
        PAIR: settings.AXES_FAILURE_LIMIT,
        ACCOUNT: settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
        ADDRESS: settings.LOGIN_ADDRESS_FAILURE_LIMIT,
    }


def _combination(parameter) -> tuple[str, ...]:
    return tuple(sorted([parameter] if isinstance(parameter, str) else parameter))


class LayeredLimitsHandler(AxesDatabaseHandler):
    """Axes' database handler with one cap per combination, and a success that clears only the
    failures of its own e-mail and address (a login to one's own account must not wipe the count
    of an address that sprays others, nor the guesses made at this account from elsewhere)."""

    def failure_counts(self, request: HttpRequest, credentials: dict | None = None) -> dict[tuple, int]:
        """Failures within the cool-off, per combination."""
        combinations = [_combination(p) for p in get_lockout_parameters(request, credentials)]
        querysets = self.get_user_attempts(request, credentials)
        return {
            combination: sum(queryset.values_list("failures_since_start", flat=True))
            for combination, queryset in zip(combinations, querysets, strict=True)
        }

    def reached_caps(self, request: HttpRequest, credentials: dict | None = None) -> list[tuple]:
        """The combinations whose cap is reached, most specific first."""
        limits = failure_limits()
        counts = self.failure_counts(request, credentials)
        return [combination for combination, count in counts.items() if count >= limits[combination]]

    def get_failures(self, request, credentials: dict | None = None) -> int:
        limits = failure_limits()
        pair_limit = limits[PAIR]
        counts = self.failure_counts(request, credentials)
        # count * pair_limit // cap >= pair_limit exactly when count >= cap.
        return max(
            (count * pair_limit // limits[combination] for combination, count in counts.items()), default=0
        )

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count


def reached_caps(request: HttpRequest, credentials: dict | None = None) -> list[tuple]:
    """Which caps hold this request back (empty when none does)."""
    handler = AxesProxyHandler.get_implementation()
    if not isinstance(handler, LayeredLimitsHandler):
        return []
    return handler.reached_caps(request, credentials)


def clear_account_failures(email: str) -> int:
    """Forget the failures counted for ``email`` from every address: called once the owner proved
    they hold the mailbox (password reset), so guesses made by others stop locking them out."""
    return reset(username=email.strip().lower())
