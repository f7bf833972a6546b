from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo communities for `make run` (``manage.py seed_demo``). Installed by the dev and test
    settings only: production code never imports it."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Démonstration"
