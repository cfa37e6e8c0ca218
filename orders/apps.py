from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from oms.hub.targets import register_target
        from oms.metrics import metrics_source

        from . import signals  # noqa: F401
        from .api import schema  # noqa: F401  (registers the OpenAPI extension of intake)
        from .metrics import waiting_room_source
        from .notifications.email import EmailTarget

        metrics_source("waiting_room", waiting_room_source)
        register_target(EmailTarget())
