from django.urls import reverse

from apps.members.selectors import get_membership


def team_landing(request) -> str:
    """Where a sign-in without ``next`` lands: the dashboard for the team and admins of this CPTS,
    "" (the default) for everyone else."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_platform:
        return ""
    membership = get_membership(request.user)
    if membership is not None and membership.has_role("team"):
        return reverse("dashboard:home")
    return ""
