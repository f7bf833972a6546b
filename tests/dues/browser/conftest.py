# The browser and page fixtures of the site's browser tests (Playwright + Debian's Chromium).
from tests.site.browser.conftest import browser, page  # noqa: F401
