"""Inventory admin. Quantities are read-only: they change only through services that write
ledger movements (the adjust action asks for a reason)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from oms.admin_console import ReadOnlyAdmin, action_form_page
from oms.api.context import user_actor
from oms.errors import OMSError

from . import admin_inbound, services  # noqa: F401  (admin_inbound registers InboundStock)
from .admin_stock import refusal_text, sku_stock_view, stock_count_apply
from .forms import StockAdjustmentForm, StockCountForm
from .models import (
    Location,
    Product,
    Reservation,
    StockLevel,
    StockMovement,
)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "city",
        "country",
        "active",
        "ships",
        "click_collect",
        "daily_capacity",
        "priority",
    ]
    list_filter = [
        "kind",
        "active",
        "country",
        "ships",
        "click_collect",
        "accepts_returns",
        "channels",
    ]
    search_fields = ["code", "name", "city"]
    filter_horizontal = ["channels"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "active", "channels"]}),
        (
            "Address",
            {"fields": ["street", "postal_code", "city", "country", "latitude", "longitude"]},
        ),
        (
            "Services and capacity",
            {
                "fields": [
                    "ships",
                    "own_delivery",
                    "click_collect",
                    "accepts_returns",
                    "daily_capacity",
                    "processing_days",
                    "cutoff_hour",
                    "served_countries",
                ]
            },
        ),
        ("Routing", {"fields": ["base_cost", "cost_per_km", "priority", "tags"]}),
    ]


def _stock_link(product_id: int, text: str = "Stock") -> str:
    url = reverse("admin:inventory_product_stock", args=[product_id])
    return format_html('<a href="{}" class="stock-link">{}</a>', url, text)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "barcode", "active", "stock_column"]
    list_filter = ["active"]
    search_fields = ["sku", "name", "barcode"]
    readonly_fields = ["stock_page"]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/stock/",
                self.admin_site.admin_view(partial(sku_stock_view, self)),
                name="inventory_product_stock",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="stock")
    def stock_column(self, obj: Product) -> str:
        return _stock_link(obj.pk)

    @admin.display(description="stock")
    def stock_page(self, obj: Product) -> str:
        if obj.pk is None:
            return "-"
        return _stock_link(obj.pk, "On hand, reserved and available per location and channel")


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = [
        "product_stock",
        "location",
        "on_hand",
        "reserved",
        "safety_stock",
        "available",
        "last_counted_at",
        "updated_at",
    ]
    list_filter = ["location__kind", "location"]
    search_fields = ["product__sku", "product__name", "location__code"]
    list_select_related = ["product", "location"]
    readonly_fields = [
        "location",
        "product",
        "on_hand",
        "reserved",
        "safety_stock",
        "last_counted_at",
        "updated_at",
    ]
    actions = ["adjust_stock", "set_counted"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="product", ordering="product__sku")
    def product_stock(self, obj: StockLevel) -> str:
        return _stock_link(obj.product_id, f"{obj.product.sku} {obj.product.name}")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_adjust_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.adjust_stock")

    @admin.display(description="available")
    def available(self, obj: StockLevel) -> int:
        return obj.available

    def _per_level(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        apply: Callable[[StockLevel], str],
    ) -> int:
        """Run `apply` (a service call returning what it did) on each selected level: each
        refusal is a message in words, each change a history entry. Returns the changes."""
        done = 0
        for level in queryset:
            try:
                text = apply(level)
            except OMSError as exc:
                self.message_user(
                    request,
                    f"{level.product.sku} at {level.location.code}: {refusal_text(exc)}",
                    messages.ERROR,
                )
                continue
            done += 1
            self.log_change(request, level, text)
        return done

    @admin.action(description="Adjust stock on hand…", permissions=["adjust"])
    def adjust_stock(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        queryset = queryset.select_related("location", "product")
        form = StockAdjustmentForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = user_actor(request.user)

            data = form.cleaned_data

            def adjust(level: StockLevel) -> str:
                services.stock_adjust(
                    location=level.location,
                    product=level.product,
                    delta=data["delta"],
                    reason=data["reason"],
                    actor=actor,
                )
                return f"Adjusted on hand by {data['delta']:+d}: {data['reason']}"

            done = self._per_level(request, queryset, adjust)
            if done:
                self.message_user(request, f"Adjusted {done} stock level(s).", messages.SUCCESS)
            return None
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="adjust_stock",
            title="Adjust stock",
            submit_label="Adjust",
            intro="Each adjustment writes a ledger movement with your name and reason.",
        )

    @admin.action(description="Set counted quantity…", permissions=["adjust"])
    def set_counted(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        queryset = queryset.select_related("location", "product")
        form = StockCountForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = user_actor(request.user)

            data = form.cleaned_data

            def count(level: StockLevel) -> str:
                done = stock_count_apply(
                    location=level.location,
                    product=level.product,
                    on_hand=data["on_hand"],
                    reason=data["reason"],
                    actor=actor,
                )
                self.message_user(request, done, messages.SUCCESS)
                return f"{done} Reason: {data['reason']}"

            self._per_level(request, queryset, count)
            return None
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="set_counted",
            title="Set counted quantity",
            submit_label="Set counted quantity",
            intro="On hand becomes the counted quantity; the ledger records the difference as "
            "a count with your name and reason. A count below what is reserved for orders is "
            "refused.",
        )


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "stock_level",
        "on_hand_delta",
        "reserved_delta",
        "safety_stock_delta",
        "reason",
        "reference",
        "actor",
    ]
    list_filter = ["kind", "stock_level__location"]
    search_fields = ["reference", "actor", "stock_level__product__sku"]
    list_select_related = ["stock_level"]
    date_hierarchy = "created_at"


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["id", "holder", "stock_level", "quantity", "status", "created_at", "closed_at"]
    list_filter = ["status"]
    search_fields = ["holder", "stock_level__product__sku"]
