"""Shared set-up of the directory benchmarks: Django, the platform schemas, one benchmark CPTS."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts_platform.settings.dev")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


def setup_community(slug: str):
    """Migrate everything, then return the CPTS ``slug`` (created if missing)."""
    import django

    django.setup()
    from tenants.models import Community
    from tenants.platform_setup import migrate_everything
    from tenants.provisioning import CommunityRequest, provision_community

    migrate_everything()
    community = Community.objects.filter(schema_name=slug).first()
    if community is None:
        community = provision_community(
            actor=None, request=CommunityRequest(slug=slug, name="CPTS Banc", admin_email="admin@bench.test")
        )
    return community
