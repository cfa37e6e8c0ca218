from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from oms.hub.targets import register_target
        from oms.hub.topics import published_topics_register
        from oms.metrics import metrics_source
        from oms.roles import role_permissions_register
        from routing.capacity import capacity_source_register
        from routing.replay_source import ReplaySource, replay_source_register

        from . import signals  # noqa: F401
        from .api import schema  # noqa: F401  (registers the OpenAPI extension of intake)
        from .attention import dashboard_register
        from .console_map import TEMPLATE as ROUTE_MAP_TEMPLATE
        from .console_map import route_map_section
        from .console_sections import console_section_register
        from .event_types import public_event_types
        from .metrics import waiting_room_source
        from .notifications.email import EmailTarget
        from .selectors import (
            fulfilments_today_by_location,
            replay_order_by_reference,
            replay_orders_recent,
        )

        metrics_source("waiting_room", waiting_room_source)
        register_target(EmailTarget())
        published_topics_register(public_event_types)
        # Routing's simulate and promise count today's fulfilments against daily capacity.
        capacity_source_register(fulfilments_today_by_location)
        # The strategy pages try a strategy on past orders.
        replay_source_register(
            ReplaySource(recent=replay_orders_recent, by_reference=replay_order_by_reference)
        )
        # The order page's routing map (before the sections apps above orders add).
        console_section_register(template=ROUTE_MAP_TEMPLATE, context=route_map_section)
        dashboard_register()
        role_permissions_register(
            "agent",
            [
                "orders.view_order",
                "orders.edit_order",
                "orders.cancel_order",
                "orders.reroute_order",
                "orders.resend_notification",
                "orders.view_fulfilment",
                "orders.view_orderevent",
                "orders.view_routingdecision",
                "orders.view_checkouthold",
            ],
        )
