from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from oms.roles import role_permissions_register

        from . import api_keys  # noqa: F401  (revokes the keys of a deleted location)

        # Agents answer "is it in stock, where, when does more arrive?"; they change nothing.
        role_permissions_register(
            "agent",
            [
                "inventory.view_product",
                "inventory.view_location",
                "inventory.view_stocklevel",
                "inventory.view_inboundstock",
            ],
        )
