from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from apps.backoffice.registry import panels_for
from apps.members.models import Role
from apps.members.permissions import role_required

from . import selectors


@role_required(Role.TEAM)
def home(request):
    """The team's landing page: the figures that call for action, each linking to where to act,
    then the panels other apps registered (apps.backoffice.registry)."""
    panels = [
        {
            "key": panel.key,
            "size": panel.size,
            # noqa below: the panel template auto-escapes what it renders.
            "html": mark_safe(render_to_string(panel.template, context, request=request)),  # noqa: S308
        }
        for panel, context in panels_for(request)
    ]
    return render(request, "dashboard/home.html", {"overview": selectors.overview(), "panels": panels})
