from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-key"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The demo communities (manage.py seed_demo): a dev-only app, never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "apps.demo"]  # noqa: F405
# A real worker process (tests/conftest.py: real_worker) writes its e-mails to files instead.
EMAIL_BACKEND = env.str("TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
# Tasks run in-process unless a test starts a real worker (tests/conftest.py: start_worker sets
# CELERY_TASK_ALWAYS_EAGER=0 for it, so what a task queues goes through Redis there too).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None
WHITENOISE_AUTOREFRESH = True
# Access to care: fixed development keys (never valid in production, which refuses to start
# with HDS hosting declared and no key of its own).
ACCESS_CARE_KEYS = env.list("ACCESS_CARE_KEYS", default=["dev1:ZGV2LW9ubHkta2V5LWFjY2Vzcy1jYXJlLTMyYnl0ZXM="])
ACCESS_CARE_INDEX_KEY = env.str(
    "ACCESS_CARE_INDEX_KEY", default="ZGV2LW9ubHktaW5kZXgta2V5LWFjY2Vzcy1jYXJlLTAx"
)
