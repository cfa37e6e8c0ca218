from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from oms.metrics import metrics_source

        from . import signals  # noqa: F401
        from .metrics import waiting_room_source

        metrics_source("waiting_room", waiting_room_source)
