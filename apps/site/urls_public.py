"""robots.txt and sitemap.xml of the platform host (included from cpts_platform/urls_public.py)."""

from django.urls import path

from . import views

app_name = "site"
urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", views.sitemap_xml, name="sitemap"),
    path("favicon.ico", views.favicon, name="favicon"),
]
