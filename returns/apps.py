from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self) -> None:
        from orders.console import event_describer_register
        from orders.console_sections import console_section_register
        from orders.search import order_search_register

        from .search import return_order_ids

        order_search_register(return_order_ids)

        from .console_text import RETURN_DESCRIBERS
        from .order_section import order_returns_section

        console_section_register(
            template="admin/returns/_order_returns.html", context=order_returns_section
        )
        for event_type, describe in RETURN_DESCRIBERS.items():
            event_describer_register(event_type, describe)
