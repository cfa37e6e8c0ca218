from typing import Any

from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self) -> None:
        from orders.console_sections import console_section_register
        from orders.search import order_search_register

        from .search import return_order_ids

        order_search_register(return_order_ids)

        console_section_register(
            template="admin/returns/_order_returns.html", context=_order_returns
        )


def _order_returns(order: Any) -> dict[str, Any]:
    from .models import ReturnRequest

    returns = (
        ReturnRequest.objects.filter(order=order)
        .select_related("location")
        .prefetch_related("lines__order_line", "lines__reason")
        .order_by("pk")
    )
    return {"returns": list(returns)}
