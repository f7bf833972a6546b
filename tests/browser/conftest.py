"""Walks through whole journeys in Chromium: the fixtures of the site's browser tests (Playwright
on the live server, committed world), shared here."""

from tests.site.browser.conftest import _live_server_helper, browser, page, site_url  # noqa: F401
