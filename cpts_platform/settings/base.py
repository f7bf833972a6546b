"""Settings shared by every environment. Environment variables are read here, once, through
``StrictEnv`` (environment.py): a malformed boolean or integer raises ImproperlyConfigured naming
the variable, so the process does not start. Every variable read here is listed in .env.example."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .environment import StrictEnv

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = StrictEnv()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("CPTS_DATA_DIR", default=str(BASE_DIR / ".data" / "dev")))

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)

# The platform's own host; each CPTS answers on <slug>.<PLATFORM_DOMAIN>.
PLATFORM_DOMAIN = env.str("PLATFORM_DOMAIN", default="localhost")
PLATFORM_SCHEME = env.str("PLATFORM_SCHEME", default="http")
PLATFORM_PORT = env.str("PLATFORM_PORT", default="")
# Where a CPTS wishing to join the platform writes (shown on the platform site).
PLATFORM_CONTACT_EMAIL = env.str("PLATFORM_CONTACT_EMAIL", default="") or f"contact@{PLATFORM_DOMAIN}"
# Unknown hosts are answered 404 by the tenant middleware, so any host may reach it; custom
# domains of CPTS are Domain rows, not settings.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Django's own widget templates, found by the project-wide form renderer below.
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "apps.accounts",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.postgres",
    "apps.geo",
    "apps.professionals",
    "apps.stripe_gateway",
    "apps.mailing",
    # In both lists: the platform's log in public, each CPTS's own log in its schema.
    "apps.audit",
    # Public tables only (erasure requests): its pages serve both hosts.
    "apps.compliance",
    "axes",
    "csp",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "apps.audit",
    "apps.members",
    "apps.events",
    "apps.working_groups",
    "apps.health_projects",
    "apps.aci",
    "apps.site",
    "apps.payments",
    "apps.dues",
    "apps.territory",
    "apps.directory",
    "apps.onboarding",
    "apps.notifications",
    "apps.backoffice",
    "apps.dashboard",
    "apps.roster",
    "apps.campaigns",
    "apps.access_care",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Community"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New CPTS are cloned from this migrated template schema (see docs/tenancy.md).
TENANT_BASE_SCHEMA = "cpts_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Send `SET search_path` only when the schema of a connection changes, not before every query
# (halves round trips on every page; measured in benchmarks/directory_search.py).
TENANT_LIMIT_SET_CALLS = True
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

MIDDLEWARE = [
    # Times the whole request (its pair, PrometheusAfterMiddleware, is last). docs/observability.md
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Every log line of the request carries its id (X-Request-ID in and out).
    "cpts_platform.logcontext.RequestIdMiddleware",
    "tenants.middleware.CommunityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response, with a fresh nonce per request for the rare
    # inline <script> (templates write it as nonce="{{ request.csp_nonce }}").
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.CommunitySessionMiddleware",
    # request.membership: the account's role in this CPTS (after the session is bound to it).
    "apps.members.middleware.MembershipMiddleware",
    # A NUL character in a query parameter is a 400 with the reason, on every page and API route.
    "cpts_platform.bad_input.RejectNulParametersMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After the two above: staff of a CPTS requiring it pass a TOTP second factor first.
    "apps.members.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last but one, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "cpts_platform.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "cpts_platform.urls_public"
WSGI_APPLICATION = "cpts_platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.community",
                "apps.site.context_processors.site_chrome",
                "apps.backoffice.context_processors.backoffice",
            ],
            # French amounts and plurals in every template (|euros, |pluriel).
            "builtins": ["apps.site.templatetags.formatting", "apps.backoffice.templatetags.ui"],
        },
    },
]


# Forms render through the project's templates, so templates/django/forms/ (errors under each
# field, not above its label) applies to every form.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"


def database_from_url(url: str) -> dict:
    config = environ.Env.db_url_config(url)
    # A unix-socket directory travels percent-encoded in the host part of the URL.
    config["HOST"] = unquote(config.get("HOST") or "")
    config["ENGINE"] = "django_tenants.postgresql_backend"
    config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0, minimum=0)
    return config


DATABASE_URL = env.str("DATABASE_URL", default="")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run` / `make test` (they start an embedded PostgreSQL) "
        "or point it at a PostgreSQL server."
    )
DATABASES = {"default": database_from_url(DATABASE_URL)}
# django-tenants' backend wraps this one: django-prometheus's PostgreSQL backend, which counts
# queries, errors and their duration (docs/observability.md).
ORIGINAL_BACKEND = "django_prometheus.db.backends.postgresql"
# Lets a test worker process reach the test database (pytest-django's test_<name>).
if env.str("DATABASE_NAME", default=""):
    DATABASES["default"]["NAME"] = env.str("DATABASE_NAME")
# Folder of pg_dump/psql (export_community, import_community); empty: found on PATH.
PG_BIN_DIR = env.str("PG_BIN_DIR", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL is not set (make run / make test start an embedded Redis).")


def redis_database(url: str, db: int) -> str:
    """``url`` pointing at Redis database ``db`` (the cache never shares the broker's database,
    so clearing the cache cannot drop queued tasks)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


CACHE_URL = env.str("CACHE_URL", default=redis_database(REDIS_URL, 1))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        # Every key carries the schema of the current CPTS (django_tenants.cache.make_key).
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": "cpts",
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Reverse proxies in front of the web processes (0 in dev): rate limits and login throttling then
# read the visitor's address from X-Forwarded-For (tenants/client_ip.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0, minimum=0)
# The proxies' networks (CIDR list): X-Forwarded-For is read only for requests coming from them.
TRUSTED_PROXY_NETWORKS = env.list("TRUSTED_PROXY_NETWORKS", default=[])
# Login throttling (django-axes, tables in the public schema; apps/accounts/throttling.py): within
# 15 minutes, 5 failures for one e-mail from one address, 20 for one e-mail from all addresses, or
# 30 from one address over all e-mails suspend the matching logins; a success clears its own pair.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5, minimum=1)
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=20, minimum=1)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_HANDLER = "apps.accounts.throttling.LayeredLimitsHandler"
AXES_RESET_ON_SUCCESS = True
# The login form's field is "username" (it holds the e-mail), not the model's USERNAME_FIELD.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "apps.accounts.throttling.attempted_email"
AXES_CLIENT_IP_CALLABLE = "tenants.client_ip.client_ip_for_axes"
AXES_LOCKOUT_CALLABLE = "apps.accounts.views.locked_out"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
OTP_TOTP_ISSUER = "Plateforme CPTS"
# Operators pass a TOTP second factor before the console opens (off only in dev.py, for the demo).
OPERATOR_2FA_REQUIRED = env.bool("OPERATOR_2FA_REQUIRED", default=True)
# Access to care (apps/access_care, docs/access-care.md): patient requests are health data. The
# module can be switched on for a CPTS only when the platform declares HDS-certified hosting.
HDS_HOSTING = env.bool("HDS_HOSTING", default=False)
# AES-256-GCM keys of the identity and criteria fields, "id:base64key" separated by commas, the
# first one encrypting new values (older ones still decrypt: rotation, then
# ``manage.py reencrypt_access_care``). No default here: dev.py and test.py set their own.
ACCESS_CARE_KEYS = env.list("ACCESS_CARE_KEYS", default=[])
# HMAC key of the duplicate-detection blind index (base64, 32 bytes).
ACCESS_CARE_INDEX_KEY = env.str("ACCESS_CARE_INDEX_KEY", default="")
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14, minimum=1)
# Sign-up by e-mail (apps/accounts/signup.py): how long its link stays valid, and how many such
# e-mails one address, and one e-mail, may cause per hour.
SIGNUP_LINK_MAX_AGE = 60 * 60 * 24
# Seconds a « Mes CPTS » hand-off from one CPTS to another stays valid (apps/accounts/handoff.py).
HANDOFF_MAX_AGE = 60
SIGNUP_EMAILS_PER_HOUR_PER_ADDRESS = env.int("SIGNUP_EMAILS_PER_HOUR_PER_ADDRESS", default=10, minimum=1)
SIGNUP_EMAILS_PER_HOUR_PER_EMAIL = env.int("SIGNUP_EMAILS_PER_HOUR_PER_EMAIL", default=3, minimum=1)

# French only for now: no LocaleMiddleware, so a browser asking for English still gets a
# consistent French interface (our strings have no English catalogue yet).
LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django_tenants.files.storage.TenantFileSystemStorage",
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(DATA_DIR / "media"))
MEDIA_URL = "/media/"
# Files of a CPTS live under MEDIA_ROOT/<schema>/ (TenantFileSystemStorage).
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
# Object storage (S3 API; tenants/storage.py): with S3_BUCKET set, files go to the bucket under
# <S3_LOCATION>/<schema>/ and are served by signed URLs valid S3_SIGNED_URL_SECONDS.
S3_BUCKET = env.str("S3_BUCKET", default="")
# The national directory extracts (a download cache, ~1 GB): default MEDIA_ROOT/_national.
NATIONAL_EXTRACTS_DIR = env.str("NATIONAL_EXTRACTS_DIR", default="")
S3_SIGNED_URL_SECONDS = env.int("S3_SIGNED_URL_SECONDS", default=300, minimum=10, maximum=7 * 24 * 3600)
S3_ADDRESSING_STYLE = env.str("S3_ADDRESSING_STYLE", default="path")
if S3_ADDRESSING_STYLE not in ("path", "virtual", "auto"):
    raise ImproperlyConfigured("S3_ADDRESSING_STYLE must be path, virtual or auto.")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "tenants.storage.TenantS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "public_endpoint_url": env.str("S3_PUBLIC_ENDPOINT_URL", default=""),
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_LOCATION", default=""),
            "querystring_auth": True,
            "querystring_expire": S3_SIGNED_URL_SECONDS,
            "file_overwrite": False,
            "default_acl": None,
            "signature_version": "s3v4",
            "addressing_style": S3_ADDRESSING_STYLE,
        },
    }

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(DATA_DIR / "mail"))
# The web inbox of the local mail catcher started by infra/dev/runtime.py (empty elsewhere).
MAIL_CATCHER_URL = env.str("MAIL_CATCHER_URL", default="")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# A mail server that accepts the connection and never answers must not hold a worker (and its
# task, which Redis never hands to another live worker) forever: the send fails, is retried, and
# the receipt repair finishes it (docs/tasks.md).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30, minimum=1)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CPTS Plateforme <ne-pas-repondre@localhost>")
# EMAIL_URL names the mail server in one variable and wins over the EMAIL_* above: the local catcher
# started by infra/dev/runtime.py (smtp://127.0.0.1:PORT), or a real server
# (smtp+tls://user:password@smtp.example.org:587). Production sends through django-anymail instead
# (EMAIL_BACKEND=anymail.backends.<esp>.EmailBackend; docs/notifications.md).
if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST, EMAIL_PORT = _email["EMAIL_HOST"], int(_email["EMAIL_PORT"] or 25)
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_USER"], _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
    EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
# django-anymail (production: EMAIL_BACKEND=anymail.backends.brevo.EmailBackend, or mailjet,
# amazon_ses, scaleway…): every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"], e.g.
# ANYMAIL_BREVO_API_KEY, and ANYMAIL_WEBHOOK_SECRET ("user:password", the basic auth the provider's
# tracking webhooks must send to /anymail/<esp>/tracking/; docs/notifications.md).
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value for name, value in env.ENVIRON.items() if name.startswith("ANYMAIL_")
}

# Celery: Redis broker, tasks enqueued after commit (see workers/base.py).
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Workers that die (docs/tasks.md): a task is acknowledged when it ends, so a task whose worker
# dies runs again. A killed pool child's task is requeued at once (tasks are idempotent); a whole
# worker killed leaves its tasks unacknowledged in Redis, handed out again after the visibility
# timeout: 15 min, above the longest countdown (workers.base.LONGEST_COUNTDOWN_SECONDS, 10 min)
# plus a task's run time, swept every 10 s.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=15 * 60),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["events-reminders"] = {"task": "events.fan_out_reminders", "schedule": 15 * 60}
CELERY_BEAT_SCHEDULE["events-hold-expiry"] = {"task": "events.fan_out_hold_expiry", "schedule": 5 * 60}
# A guest (no account) who has not confirmed their address this long after registering gives
# their seat back (released by the same 5-minute sweep; docs/events.md).
EVENTS_GUEST_CONFIRMATION_DELAY = timedelta(hours=48)
# Dues (issue 3): renewals and reminders daily just after midnight (the 1 January run lapses
# last year's dues); reconciliation of card payments still pending, every 15 minutes.
CELERY_BEAT_SCHEDULE["dues-renewals"] = {
    "task": "dues.fan_out_renewals",
    "schedule": crontab(minute=1, hour=0),
}
CELERY_BEAT_SCHEDULE["dues-reconciliation"] = {"task": "dues.fan_out_reconciliation", "schedule": 15 * 60}
# Directory (issue 4): imports whose worker died go back to the queue (workers/directory.py).
CELERY_BEAT_SCHEDULE["directory-import-recovery"] = {
    "task": "directory.fan_out_import_recovery",
    "schedule": 10 * 60,
}
# Directory: every Monday night, the national extracts that changed refresh every CPTS's directory.
CELERY_BEAT_SCHEDULE["directory-national-refresh"] = {
    "task": "directory.refresh_national_extracts",
    "schedule": crontab(minute=30, hour=3, day_of_week=1),
}
# Personal data: retention delays (docs/personal-data.md), applied nightly in every CPTS.
CELERY_BEAT_SCHEDULE["gdpr-retention"] = {
    "task": "gdpr.fan_out_retention",
    "schedule": crontab(minute=15, hour=2),
}
VISITOR_MESSAGE_RETENTION_DAYS = env.int("VISITOR_MESSAGE_RETENTION_DAYS", default=365, minimum=1)
IMPORT_FILE_RETENTION_DAYS = env.int("IMPORT_FILE_RETENTION_DAYS", default=30, minimum=1)
AUDIT_LOG_RETENTION_DAYS = env.int("AUDIT_LOG_RETENTION_DAYS", default=365, minimum=1)
# Archives built for a person or an operator (apps/compliance/exports.py): downloadable this many
# days, then deleted by the hourly purge.
DATA_EXPORT_RETENTION_DAYS = env.int("DATA_EXPORT_RETENTION_DAYS", default=7, minimum=1)
CELERY_BEAT_SCHEDULE["gdpr-exports-purge"] = {
    "task": "gdpr.purge_expired_exports",
    "schedule": crontab(minute=40),
}
# Access to care: closed requests anonymised after the CPTS's delay, access log kept 12 months.
CELERY_BEAT_SCHEDULE["access-care-retention"] = {
    "task": "access_care.fan_out_retention",
    "schedule": crontab(minute=20, hour=2),
}
# Priorities follow the day (70 reached, months waited): recomputed once the date has changed.
CELERY_BEAT_SCHEDULE["access-care-priorities"] = {
    "task": "access_care.fan_out_priorities",
    "schedule": crontab(minute=10, hour=1),
}
# Site: editor images never saved into content are removed after a delay (workers/site.py).
CELERY_BEAT_SCHEDULE["site-orphan-images"] = {
    "task": "site.fan_out_orphan_images",
    "schedule": crontab(minute=40, hour=2),
}
# Where to download them from (empty: no automatic refresh; docs/directory.md gives the sources).
NATIONAL_EXTRACT_URLS = {
    "rpps": env.str("NATIONAL_RPPS_URL", default=""),
    "finess": env.str("NATIONAL_FINESS_URL", default=""),
}
# A download (or the file unpacked from its zip) larger than this is refused (the RPPS file is ~1 GB).
NATIONAL_EXTRACT_MAX_BYTES = env.int("NATIONAL_EXTRACT_MAX_BYTES", default=4 * 1024**3, minimum=1)
# The per-CPTS imports that follow are spread over this many seconds.
NATIONAL_IMPORT_SPREAD_SECONDS = 600
WORKER_HEARTBEAT_SECONDS = 10

# Mail pipeline (docs/campaigns.md): bulk mail (campaigns, digests, reminders) on the "mail" queue;
# mail a person waits for (receipts, invitations, notices) on "mail_priority", which a campaign
# never delays. Workers consume "mail_priority,celery,mail" (Procfile). Everything else: "celery".
MAIL_QUEUE = "mail"
MAIL_PRIORITY_QUEUE = "mail_priority"
CELERY_TASK_ROUTES = {
    "campaigns.start_campaign": {"queue": MAIL_QUEUE},
    "campaigns.send_campaign": {"queue": MAIL_QUEUE},
    "campaigns.send_digests": {"queue": MAIL_QUEUE},
    "dues.send_reminders": {"queue": MAIL_QUEUE},
    "events.send_event_reminders": {"queue": MAIL_QUEUE},
    **{
        name: {"queue": MAIL_PRIORITY_QUEUE}
        for name in (
            "members.send_invitation",
            "members.notify_role_change",
            "dues.issue_receipt",
            "dues.issue_credit_note",
            "dues.send_receipt",
            "events.send_promotion_notice",
            "events.send_hold_expired_notice",
            "events.send_cancellation_notices",
            "site.notify_message",
            "directory.notify_listing_requester",
        )
    },  # fmt: skip
}
# Sending rates (token buckets in Redis, apps/campaigns/ratelimit.py): messages per second for the
# whole platform (the provider's allowance) and for each CPTS; a bucket holds this many seconds.
MAIL_RATE_GLOBAL = env.int("MAIL_RATE_GLOBAL", default=100, minimum=1)
MAIL_RATE_PER_CPTS = env.int("MAIL_RATE_PER_CPTS", default=20, minimum=1)
MAIL_BURST_SECONDS = 2
MAIL_STATE_REDIS_URL = redis_database(REDIS_URL, 2)
CELERY_BEAT_SCHEDULE["campaigns-dispatch"] = {"task": "campaigns.fan_out_dispatch", "schedule": 60}
CELERY_BEAT_SCHEDULE["campaigns-weekly-digest"] = {
    "task": "campaigns.begin_digest",
    "schedule": crontab(minute=0, hour=7, day_of_week=1),
}
# A campaign's per-address rows (recipients, and their stamps on the mail path) are deleted this
# many days after it ended; the campaign keeps its figures (apps/campaigns/retention.py).
CAMPAIGN_LOG_RETENTION_DAYS = 365
CELERY_BEAT_SCHEDULE["campaigns-retention"] = {
    "task": "campaigns.fan_out_retention",
    "schedule": crontab(minute=25, hour=2),
}
# The mail provider's delivery events (bounces, complaints: they hold addresses) are deleted this
# many days after they arrived; campaigns keep their figures (apps/mailing/retention.py).
DELIVERY_EVENT_RETENTION_DAYS = env.int("DELIVERY_EVENT_RETENTION_DAYS", default=90, minimum=1)
# The platform's mail log (recipients, subject, idempotency key): past the events that point at it.
SENT_MAIL_RETENTION_DAYS = env.int("SENT_MAIL_RETENTION_DAYS", default=180, minimum=30)
CELERY_BEAT_SCHEDULE["mailing-event-retention"] = {
    "task": "mailing.fan_out_event_retention",
    "schedule": crontab(minute=35, hour=2),
}

# Stripe (issue 3, docs/payments.md). infra/dev/runtime.py starts localstripe and sets these when
# no STRIPE_SECRET_KEY is given; STRIPE_EMBEDDED=1 marks that stand-in (no Connect, no fees).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="").rstrip("/")
STRIPE_EMBEDDED = env.bool("STRIPE_EMBEDDED", default=False)
# Stripe.js: localstripe serves a stand-in in dev/tests; the real one otherwise (never a CDN copy).
STRIPE_JS_URL = (
    f"{STRIPE_API_BASE}/js.stripe.com/v3/"
    if STRIPE_EMBEDDED and STRIPE_API_BASE
    else "https://js.stripe.com/v3/"
)
if STRIPE_API_BASE:
    import stripe

    stripe.api_base = STRIPE_API_BASE


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# What pages may load, run and reach (django-csp). Scripts come from this host, Stripe.js's origin
# or carry the request's nonce: no inline handler, no 'unsafe-inline' for scripts. Inline styles
# stay allowed (style attributes are common in templates and CSS cannot run code).
if STRIPE_EMBEDDED and STRIPE_API_BASE:
    STRIPE_CSP_SCRIPT = [_origin(STRIPE_API_BASE)]
    STRIPE_CSP_CONNECT = [_origin(STRIPE_API_BASE)]
    STRIPE_CSP_FRAME = [_origin(STRIPE_API_BASE)]
else:
    # Stripe's published list for Stripe.js and 3-D Secure.
    STRIPE_CSP_SCRIPT = ["https://js.stripe.com", "https://*.js.stripe.com"]
    STRIPE_CSP_CONNECT = ["https://api.stripe.com"]
    STRIPE_CSP_FRAME = ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, *STRIPE_CSP_SCRIPT],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF, *STRIPE_CSP_CONNECT],
        "frame-src": [SELF, *STRIPE_CSP_FRAME],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    # Enforces each view's access declaration (tenants.access); undeclared views are members-only.
    "DEFAULT_PERMISSION_CLASSES": ["apps.members.permissions.HasCommunityRole"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "cpts_platform.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API CPTS Plateforme",
    "DESCRIPTION": "API de la plateforme des CPTS. Chaque CPTS expose la sienne sur son sous-domaine.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the pinned drf-spectacular-sidecar package, served by this host (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Observability (docs/observability.md): GET /metrics on the platform host answers only with
# "Authorization: Bearer <METRICS_TOKEN>" (404 without a token set); logs are JSON lines carrying
# the CPTS, the request id and the task id when LOG_FORMAT=json (the production default).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT doit valoir text ou json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "tenant_context": {"()": "django_tenants.log.TenantContextFilter"},
        "context": {"()": "cpts_platform.logcontext.ContextFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(schema_name)s:%(domain_url)s] %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(cpts)s %(request_id)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["tenant_context", "context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Errors to Sentry only when a DSN is given; no personal data is sent (cpts_platform/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from cpts_platform.sentry import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
