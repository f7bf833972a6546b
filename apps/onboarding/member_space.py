"""The first steps' card in « Mon espace »: administrators of a CPTS whose first steps are not all
done see their progress and the next step (a new CPTS's first admin lands there)."""

from __future__ import annotations

from apps.members.models import Role

from .selectors import get_progress


def first_steps_section(request) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None or not membership.has_role(Role.ADMIN):
        return {}
    progress = get_progress()
    return {} if progress.finished else {"first_steps": progress}
