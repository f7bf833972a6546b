"""Creating an account the way a visitor does: the join page's e-mail step, then its link."""

from __future__ import annotations

import re

from django.core import mail

SIGNUP_LINK = re.compile(r"https?://[^/\s]+(/compte/creer/[^/\s]+/)")


def signup_link_path(email: str) -> str:
    """The path of the last sign-up link sent to ``email`` (locmem e-mail backend)."""
    for message in reversed(mail.outbox):
        if message.to == [email] and (match := SIGNUP_LINK.search(message.body)):
            return match.group(1)
    raise AssertionError(f"no sign-up link was sent to {email}")


def sign_up(client, email: str, *, first_name: str, last_name: str, password: str):
    """Ask for the link on ``client``'s CPTS, follow it and create the account; returns the last
    response (a redirect to the join form when it worked)."""
    client.post("/adhesion/compte/", {"email-email": email})
    return client.post(
        signup_link_path(email),
        {"first_name": first_name, "last_name": last_name, "password1": password, "password2": password},
    )
