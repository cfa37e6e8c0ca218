from typing import Any

from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self) -> None:
        from orders.console import event_describer_register
        from orders.console_sections import console_line_counts_register, console_section_register
        from orders.search import order_search_register

        from .search import return_order_ids

        order_search_register(return_order_ids)
        console_line_counts_register(label="Returned", counts=_returned_units)
        _dashboard_register()
        from oms.roles import role_permissions_register

        # Agents create, approve and reject returns; inspection is the warehouse's.
        role_permissions_register(
            "agent",
            [
                "returns.view_returnrequest",
                "returns.add_returnrequest",
                "returns.transition_return",
                "returns.view_returnreason",
            ],
        )

        from .console_text import RETURN_DESCRIBERS
        from .order_section import order_returns_section

        console_section_register(
            template="admin/returns/_order_returns.html", context=order_returns_section
        )
        for event_type, describe in RETURN_DESCRIBERS.items():
            event_describer_register(event_type, describe)


def _returned_units(order: Any) -> dict[int, int]:
    """Units of each order line received back (any return that was not cancelled)."""
    from django.db.models import Sum

    from .models import ReturnLine

    rows = (
        ReturnLine.objects.filter(order_line__order=order, received_quantity__gt=0)
        .values("order_line_id")
        .annotate(units=Sum("received_quantity"))
    )
    return {row["order_line_id"]: row["units"] for row in rows}


def _dashboard_register() -> None:
    from oms.dashboard import Queue, dashboard_queue_register

    from .models import ReturnRequest, ReturnState

    dashboard_queue_register(
        Queue(
            key="returns-to-inspect",
            group="Returns",
            label="Returns to inspect",
            count=lambda: ReturnRequest.objects.filter(state=ReturnState.RECEIVED).count(),
            url_name="admin:returns_returnrequest_changelist",
            query=f"state__exact={ReturnState.RECEIVED.value}",
            permission="returns.view_returnrequest",
            help="Goods are back: inspect them to restock and refund.",
        )
    )
