"""Creating an account from a public page without telling anyone which e-mails have one.

The page asks only for the e-mail and always answers the same way (« we wrote to you »); what
differs is the message the mailbox receives: a link to create the account, or, when an account
already exists, a reminder to sign in (with the password-reset link). Only the mailbox's owner
learns whether an account exists, and an account is only ever created for an address its owner
reads. The link is signed (no table), bound to the CPTS it was asked on, valid
``SIGNUP_LINK_MAX_AGE`` seconds, and used up once the account exists.

Sending is capped per address and per e-mail (``SIGNUP_EMAILS_PER_HOUR_*``) so the page cannot
be used to flood a mailbox; the counts do not depend on whether the account exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from apps.mailing import mail
from tenants.client_ip import client_ip

SALT = "accounts.signup"
RATE_WINDOW_SECONDS = 60 * 60


class TooManySignupEmails(Exception):
    """This address, or this e-mail, asked for too many sign-up messages in the last hour."""


@dataclass(frozen=True)
class SignupLink:
    email: str
    next_url: str


def _rate_limited(key: str, limit: int) -> bool:
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        return False


def send_signup_email(request, email: str, *, next_url: str) -> None:
    """Write to ``email``: a sign-up link, or a sign-in reminder if it already has an account.

    Raises TooManySignupEmails (nothing sent) past the hourly caps. ``next_url`` is the path of
    this host the new account continues to.
    """
    email = email.strip().lower()
    by_address = _rate_limited(
        f"signup-mail:ip:{client_ip(request)}", settings.SIGNUP_EMAILS_PER_HOUR_PER_ADDRESS
    )
    by_email = _rate_limited(f"signup-mail:email:{email}", settings.SIGNUP_EMAILS_PER_HOUR_PER_EMAIL)
    if by_address or by_email:
        raise TooManySignupEmails
    exists = get_user_model().objects.filter(email__iexact=email).exists()
    context = {"email": email, "community": request.tenant}
    if exists:
        context["login_url"] = request.build_absolute_uri(f"{reverse('accounts:login')}?next={next_url}")
        context["reset_url"] = request.build_absolute_uri(reverse("accounts:password_reset"))
        subject = _("Votre compte existe déjà — %(name)s") % {"name": request.tenant.name}
        template = "accounts/email/signup_existing"
    else:
        token = signing.dumps({"e": email, "s": request.tenant.schema_name, "n": next_url}, salt=SALT)
        context["link"] = request.build_absolute_uri(reverse("accounts:signup_confirm", args=[token]))
        context["hours"] = settings.SIGNUP_LINK_MAX_AGE // 3600
        subject = _("Créez votre compte — %(name)s") % {"name": request.tenant.name}
        template = "accounts/email/signup_link"
    # No key: every request is a new mail (the hourly caps above bound them).
    mail.send(key=None, to=email, subject=subject, template=template, context=context, kind="accounts.signup")


def read_signup_link(request, token: str) -> SignupLink | None:
    """The e-mail and next page a link carries, or None if it is forged, expired or was made for
    another CPTS."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.SIGNUP_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != request.tenant.schema_name:
        return None
    next_url = data.get("n") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        next_url = "/"
    return SignupLink(email=str(data.get("e", "")), next_url=next_url)
