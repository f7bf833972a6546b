"""Production settings plus one benchmark-only route (the bare view); used by site_load.py only."""

from cpts_platform.settings.prod import *  # noqa: F403

ROOT_URLCONF = "benchmarks.site_load_urls"
ALLOWED_HOSTS = ["*"]
# The load runs over plain HTTP on loopback: production's HTTPS redirect would answer every
# request with a bodiless 301 (a TLS proxy does that job in front of gunicorn in production).
SECURE_SSL_REDIRECT = False
