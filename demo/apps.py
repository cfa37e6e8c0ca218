from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo network (`manage.py seed_demo`): it builds on every layer, so it sits above
    them all and nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
