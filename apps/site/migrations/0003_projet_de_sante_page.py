"""The site's default « Notre projet de santé » page predates ``apps.health_projects``, whose
structured page ``/projet-de-sante/`` is in the navigation: the menu showed « projet de santé »
twice, the CMS copy pointing to a text the CPTS never filled in.

For the template schema and every existing CPTS: the default page left as we wrote it is deleted
(nothing of the CPTS is lost; its old address now redirects to the structured page); a page the
team edited is kept, published as it was, but taken out of the menus. The menu also skips any page
whose address the platform serves itself (``apps.site.navigation``), so this cannot come back.
"""

import importlib

from django.db import migrations

SLUG = "projet-de-sante"


def default_page() -> dict:
    defaults = importlib.import_module("apps.site.migrations.0002_default_content")
    return next(page for page in defaults.PAGES if page["slug"] == SLUG)


def retire_default_page(apps, schema_editor):
    Page = apps.get_model("site", "Page")
    page = Page.objects.filter(slug=SLUG).first()
    if page is None:
        return
    default = default_page()
    untouched = all(getattr(page, field) == default[field] for field in ("title", "summary", "body"))
    if untouched:
        page.delete()
    elif page.menu != "none":
        page.menu = "none"
        page.save(update_fields=["menu"])


class Migration(migrations.Migration):
    dependencies = [("site", "0002_default_content")]

    operations = [migrations.RunPython(retire_default_page, migrations.RunPython.noop)]
