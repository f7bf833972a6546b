from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, SECRET_KEY, env

if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
DEBUG = False
if env.bool("HDS_HOSTING", default=False) and not (
    env.list("ACCESS_CARE_KEYS", default=[]) and env.str("ACCESS_CARE_INDEX_KEY", default="")
):
    raise ImproperlyConfigured(
        "HDS_HOSTING is true: set ACCESS_CARE_KEYS and ACCESS_CARE_INDEX_KEY (docs/access-care.md)."
    )
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
# The proxy terminates TLS and says so in X-Forwarded-Proto (docs/deployment.md).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTP is redirected to HTTPS, except the health check a load balancer may call over plain HTTP
# and the metrics Prometheus scrapes inside the cluster (bearer token, docs/observability.md).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^livez$", r"^metrics$"]
# One year, sub-domains included: every CPTS lives on a sub-domain of PLATFORM_DOMAIN, served
# under the wildcard certificate.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading is a commitment browsers ship for months and cannot be undone quickly: the operator
# opts in (docs/deployment.md), so Django's reminder about it is silenced while it is off.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Logs are JSON lines in production (one object per line: time, level, logger, message, cpts,
# request_id, task_id), for the log collector; LOG_FORMAT=text for a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT doit valoir text ou json.")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
