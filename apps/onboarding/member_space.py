"""The first steps' card in « Mon espace »: administrators of a CPTS whose first steps are not all
done see their progress and the next step (a new CPTS's first admin lands there)."""

from __future__ import annotations

from django.urls import reverse

from apps.members.models import Role

from .selectors import STEP_URL_NAMES, get_progress


def first_steps_section(request) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None or not membership.has_role(Role.ADMIN):
        return {}
    progress = get_progress()
    return {} if progress.finished else {"first_steps": progress}


def first_steps_landing(request, membership) -> str | None:
    """An administrator who just accepted the invitation of a CPTS whose first steps are not done
    lands on the next step."""
    if membership is None or not membership.has_role(Role.ADMIN):
        return None
    following = get_progress().next_state
    return reverse(STEP_URL_NAMES[following.step.key]) if following else None


def first_steps_panel(request) -> dict | None:
    """The team dashboard's « Premiers pas » panel (``onboarding/_panel.html``): None once every
    step is done, so the dashboard hides it."""
    return first_steps_section(request) or None
