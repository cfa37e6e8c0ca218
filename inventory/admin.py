"""Inventory admin. Quantities are read-only: they change only through services that write
ledger movements (the adjust action asks for a reason)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html

from oms.admin_console import ReadOnlyAdmin
from oms.api.context import user_actor
from oms.errors import OMSError, error_words

from . import services
from .admin_stock import refusal_text, sku_stock_view, stock_count_apply
from .forms import InboundReceiveForm, InboundStockForm, StockAdjustmentForm, StockCountForm
from .models import (
    InboundReservation,
    InboundStock,
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


def _action_page(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form: Any,
    action: str,
    title: str,
    intro: str,
    submit_label: str,
) -> TemplateResponse:
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "intro": intro,
        "queryset": queryset,
        "form": form,
        "action": action,
        "submit_label": submit_label,
    }
    return TemplateResponse(request, "admin/inventory/action_form.html", context)


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

    @admin.action(description="Adjust stock on hand…", permissions=["adjust"])
    def adjust_stock(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        queryset = queryset.select_related("location", "product")
        form = StockAdjustmentForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = user_actor(request.user)
            done = 0
            for level in queryset:
                try:
                    services.stock_adjust(
                        location=level.location,
                        product=level.product,
                        delta=form.cleaned_data["delta"],
                        reason=form.cleaned_data["reason"],
                        actor=actor,
                    )
                except OMSError as exc:
                    self.message_user(
                        request,
                        f"{level.product.sku} at {level.location.code}: {refusal_text(exc)}",
                        messages.ERROR,
                    )
                    continue
                done += 1
                self.log_change(
                    request,
                    level,
                    f"Adjusted on hand by {form.cleaned_data['delta']:+d}: "
                    f"{form.cleaned_data['reason']}",
                )
            if done:
                self.message_user(request, f"Adjusted {done} stock level(s).", messages.SUCCESS)
            return None
        return _action_page(
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
            for level in queryset:
                try:
                    done = stock_count_apply(
                        location=level.location,
                        product=level.product,
                        on_hand=form.cleaned_data["on_hand"],
                        reason=form.cleaned_data["reason"],
                        actor=actor,
                    )
                except OMSError as exc:
                    self.message_user(
                        request,
                        f"{level.product.sku} at {level.location.code}: {refusal_text(exc)}",
                        messages.ERROR,
                    )
                    continue
                self.log_change(request, level, f"{done} Reason: {form.cleaned_data['reason']}")
                self.message_user(request, done, messages.SUCCESS)
            return None
        return _action_page(
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


class PreorderInline(admin.TabularInline):
    """The pre-orders of an inbound line: which orders hold how many of its units."""

    model = InboundReservation
    verbose_name = "pre-order"
    verbose_name_plural = "pre-orders (inbound reservations)"
    fields = ["order", "quantity", "priority", "status", "created_at", "closed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["status", "-priority", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="order")
    def order(self, obj: InboundReservation) -> str:
        # Holders are "order:<id>/line:<id>"; the order page lives in the orders app (a
        # layer above), reached by its admin URL name, not by an import.
        head = obj.holder.split("/", 1)[0]
        if not head.startswith("order:") or not head[6:].isdigit():
            return obj.holder
        try:
            url = reverse("admin:orders_order_change", args=[int(head[6:])])
        except NoReverseMatch:
            return obj.holder
        return format_html('<a href="{}">order {}</a> ({})', url, head[6:], obj.holder)


@admin.register(InboundStock)
class InboundStockAdmin(admin.ModelAdmin):
    form = InboundStockForm
    inlines = [PreorderInline]
    list_display = [
        "reference",
        "product",
        "location",
        "kind",
        "expected_date",
        "quantity_expected",
        "quantity_received",
        "quantity_reserved",
        "status",
    ]
    list_filter = ["status", "kind", "location", "expected_date"]
    search_fields = ["reference", "product__sku", "location__code"]
    list_select_related = ["product", "location"]
    date_hierarchy = "expected_date"
    readonly_fields = ["quantity_received", "quantity_reserved", "status"]
    autocomplete_fields = ["product"]
    actions = ["receive", "cancel"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None:
            return [
                "location",
                "product",
                "kind",
                "reference",
                "quantity_received",
                "quantity_reserved",
                "status",
            ]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: InboundStock, form: Any, change: bool) -> None:
        """A changed date or quantity goes through the service: a slip or a reduction
        re-plans the line's pre-orders (README, Pre-orders)."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        try:
            services.inbound_update(
                inbound_id=obj.pk,
                expected_date=form.cleaned_data["expected_date"],
                quantity=form.cleaned_data["quantity_expected"],
                actor=user_actor(request.user),
            )
        except OMSError as exc:
            self.message_user(request, f"Not saved: {error_words(exc)}", messages.ERROR)

    @admin.action(description="Cancel selected inbound stock…", permissions=["receive"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = user_actor(request.user)
        for inbound in queryset:
            try:
                services.inbound_cancel(inbound_id=inbound.pk, actor=actor)
            except OMSError as exc:
                self.message_user(request, f"{inbound.reference}: {exc.message}", messages.ERROR)
                continue
            self.log_change(request, inbound, "Cancelled; its pre-orders were re-planned")

    def has_receive_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.receive_inbound")

    @admin.action(description="Receive selected inbound stock…", permissions=["receive"])
    def receive(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = InboundReceiveForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = user_actor(request.user)
            for inbound in queryset:
                try:
                    services.inbound_receive(
                        inbound_id=inbound.pk, quantity=form.cleaned_data["quantity"], actor=actor
                    )
                except OMSError as exc:
                    self.message_user(
                        request, f"{inbound.reference}: {exc.message}", messages.ERROR
                    )
                    continue
                self.log_change(request, inbound, f"Received {form.cleaned_data['quantity']}")
            return None
        return _action_page(
            self,
            request,
            queryset,
            form=form,
            action="receive",
            title="Receive inbound stock",
            submit_label="Receive",
            intro="Received units move to on hand (ledger: receipt).",
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
