"""Inbound stock admin: expected / received / reserved by pre-orders and which orders; edits
of date or quantity go through the slip / reduction services, receipts through the receive
action (inventory.services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from oms.admin_console import action_form_page
from oms.api.context import user_actor
from oms.errors import OMSError, error_words

from . import services
from .forms import InboundReceiveForm, InboundStockForm
from .models import (
    InboundReservation,
    InboundStock,
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
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="receive",
            title="Receive inbound stock",
            submit_label="Receive",
            intro="Received units move to on hand (ledger: receipt).",
        )
