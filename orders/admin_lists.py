"""The read-only admin lists around orders: fulfilments, order events, routing decisions and
checkout holds. Nothing here changes data; each row links to its order's console page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from oms.admin_console import ReadOnlyAdmin

from .attention import holds_expiring_soon
from .console import describe_event
from .models import CheckoutHold, Fulfilment, OrderEvent, RoutingDecision


def order_link(order_id: int, text: object) -> str:
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[order_id]), text
    )


@admin.register(Fulfilment)
class FulfilmentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "order_display",
        "location",
        "transfer_to",
        "state",
        "carrier",
        "tracking_number",
        "distance",
        "created_at",
    ]
    list_filter = ["state", ("location", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["order__external_reference", "tracking_number", "location__code"]
    list_select_related = ["order__channel", "location", "transfer_to"]
    show_full_result_count = False

    @admin.display(description="order", ordering="order_id")
    def order_display(self, obj: Fulfilment) -> str:
        return order_link(obj.order_id, obj.order)

    @admin.display(description="distance", ordering="distance_km")
    def distance(self, obj: Fulfilment) -> str:
        return "-" if obj.distance_km is None else f"{obj.distance_km:.1f} km"


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order_display", "sequence", "type", "actor", "text"]
    list_filter = ["type"]
    search_fields = ["order__external_reference", "actor"]
    list_select_related = ["order__channel"]
    show_full_result_count = False

    @admin.display(description="order", ordering="order_id")
    def order_display(self, obj: OrderEvent) -> str:
        return order_link(obj.order_id, obj.order)

    @admin.display(description="what happened")
    def text(self, obj: OrderEvent) -> str:
        return describe_event(obj)


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(ReadOnlyAdmin):
    list_display = ["id", "order_display", "trigger", "routable", "strategy_version", "why"]
    list_filter = ["trigger", "routable"]
    search_fields = ["order__external_reference"]
    list_select_related = ["order__channel", "strategy_version__strategy"]
    show_full_result_count = False

    @admin.display(description="order", ordering="order_id")
    def order_display(self, obj: RoutingDecision) -> str:
        return order_link(obj.order_id, obj.order)

    @admin.display(description="why")
    def why(self, obj: RoutingDecision) -> str:
        return (obj.log or {}).get("why", "")


class HoldExpiryFilter(admin.SimpleListFilter):
    """The dashboard's "holds expiring soon" queue (orders.attention)."""

    title = "expiry"
    parameter_name = "expiry"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("soon", "Active, expiring within 10 minutes")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "soon":
            return queryset.filter(pk__in=holds_expiring_soon().values("pk"))
        return queryset


@admin.register(CheckoutHold)
class CheckoutHoldAdmin(ReadOnlyAdmin):
    list_display = ["token", "channel", "status", "expires_at", "created_at", "order"]
    list_filter = ["status", HoldExpiryFilter, "channel"]
    search_fields = ["token"]
    list_select_related = ["channel", "order__channel"]
