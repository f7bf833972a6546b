"""The notifications block of « Mon espace » (``apps.members.space``), registered in
``NotificationsConfig.ready``."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import Notification

RECENT_DAYS = 30


def notifications_section(request) -> dict:
    """How many notifications this CPTS gave the member lately (the page lists them all)."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    recent = Notification.objects.filter(user=request.user, created_at__gte=since).count()
    return {"notifications_section": {"recent": recent}}
