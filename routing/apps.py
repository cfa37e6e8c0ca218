from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from oms.roles import role_permissions_register

        from . import signals  # noqa: F401  (connects the cache invalidation)

        # Agents read how an order was routed; managers (not agents) change strategies.
        role_permissions_register(
            "agent", ["routing.view_routingstrategy", "routing.view_strategyversion"]
        )
