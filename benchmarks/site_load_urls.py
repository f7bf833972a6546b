"""The CPTS URLs plus /__bench/bare/: a view doing nothing but return ``bytes`` bytes of HTML.

Requests to it cross exactly the same middleware as a home page (host → schema, sessions, auth…),
so it is the framework's floor for a page of that size.
"""

from django.http import HttpResponse
from django.urls import path

from cpts_platform.urls_tenant import urlpatterns as tenant_urlpatterns


def bare(request):
    size = min(int(request.GET.get("bytes", "10000")), 2_000_000)
    return HttpResponse(
        b"<!doctype html>" + b"x" * max(0, size - 15), content_type="text/html; charset=utf-8"
    )


urlpatterns = [path("__bench/bare/", bare), *tenant_urlpatterns]
