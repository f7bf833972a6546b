from .base import *  # noqa: F403
from .base import env

# The demo shows what visitors would see (French error pages, no traceback); DEBUG=1 for Django's
# debug pages while developing.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-for-any-real-deployment")
# The demo operator can open the console without an authenticator app; tests and prod require it.
OPERATOR_2FA_REQUIRED = env.bool("OPERATOR_2FA_REQUIRED", default=False)
# The demo communities (manage.py seed_demo): a dev-only app, never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "apps.demo"]  # noqa: F405
# The demo's /metrics: curl -H "Authorization: Bearer dev-metrics" http://localhost:8000/metrics
METRICS_TOKEN = env.str("METRICS_TOKEN", default="dev-metrics")
# Access to care: fixed development keys (never valid in production, which refuses to start
# with HDS hosting declared and no key of its own).
ACCESS_CARE_KEYS = env.list("ACCESS_CARE_KEYS", default=["dev1:ZGV2LW9ubHkta2V5LWFjY2Vzcy1jYXJlLTMyYnl0ZXM="])
ACCESS_CARE_INDEX_KEY = env.str(
    "ACCESS_CARE_INDEX_KEY", default="ZGV2LW9ubHktaW5kZXgta2V5LWFjY2Vzcy1jYXJlLTAx"
)
# The demo shows the access-to-care desk with invented patients: it declares HDS hosting so the
# module can be switched on (production reads HDS_HOSTING from the environment, false by default).
HDS_HOSTING = env.bool("HDS_HOSTING", default=True)
