from django.utils.functional import SimpleLazyObject

from .registry import sidebar_for

BACKOFFICE_LAYOUT = "backoffice/base.html"
PUBLIC_LAYOUT = "base.html"


def backoffice(request) -> dict:
    """``backoffice_nav``: the sidebar of the back-office layout, built only when a template reads
    it (public pages never do). ``layout``: the base a page shared by members and the team extends
    (``{% extends layout %}``): the back-office for the team, the public site for members."""
    membership = getattr(request, "membership", None)
    is_team = membership is not None and membership.has_role("team")
    return {
        "backoffice_nav": SimpleLazyObject(lambda: sidebar_for(request)),
        "layout": BACKOFFICE_LAYOUT if is_team else PUBLIC_LAYOUT,
    }
