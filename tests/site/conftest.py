import pytest
from django_tenants.utils import schema_context

from apps.site.pagecache import invalidate_site


@pytest.fixture(autouse=True)
def _fresh_site_cache(world):
    """Each test's database writes are rolled back, but Redis is not: start from an empty page cache."""
    for schema in (world.a.schema_name, world.b.schema_name):
        with schema_context(schema):
            invalidate_site()
    yield


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (cache invalidation, task enqueueing) inside the test transaction."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
