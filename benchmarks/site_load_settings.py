"""Production settings plus one benchmark-only route (the bare view); used by site_load.py only."""

from cpts_platform.settings.prod import *  # noqa: F403

ROOT_URLCONF = "benchmarks.site_load_urls"
ALLOWED_HOSTS = ["*"]
