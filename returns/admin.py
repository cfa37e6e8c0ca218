"""The returns console: list with filters and search, a return's page with its lines,
receipts, inspections, timeline and refund preview; transitions as admin actions, offered
only to staff with the permission and refused with a clear message where not allowed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from oms.api.context import user_actor
from oms.errors import OMSError

from . import services
from .models import (
    QualityHold,
    ReturnInspection,
    ReturnLine,
    ReturnPolicy,
    ReturnReason,
    ReturnReceipt,
    ReturnRequest,
)

TRANSITION = "returns.transition_return"
INSPECT = "returns.inspect_return"
ISSUE_REFUND = "orders.issue_refund"


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", "Older than 1 day"), ("3", "Older than 3 days"), ("7", "Older than 7 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            days = int(self.value() or 0)
            return queryset.filter(created_at__lt=timezone.now() - timedelta(days=days))
        return queryset


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = ["order_line", "quantity", "reason", "received_quantity", "inspected_quantity"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReturnReceiptInline(admin.TabularInline):
    model = ReturnReceipt
    extra = 0
    can_delete = False
    fields = ["parcel_reference", "location", "lines", "received_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _run(modeladmin: Any, request: HttpRequest, queryset: QuerySet, perm: str, call: Any) -> None:
    if not request.user.has_perm(perm):
        modeladmin.message_user(request, "You lack the permission for this.", messages.ERROR)
        return
    for ret in queryset.order_by("pk"):
        try:
            call(ret, user_actor(request.user))
            modeladmin.message_user(request, f"Return {ret.pk}: done.", messages.SUCCESS)
        except OMSError as exc:
            modeladmin.message_user(
                request, f"Return {ret.pk}: refused ({exc.code}): {exc.message}", messages.ERROR
            )


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "order", "channel", "state", "resolution", "location", "created_at"]
    list_filter = [
        "state",
        "channel",
        ("location", admin.RelatedOnlyFieldListFilter),
        "lines__reason",
        AgeFilter,
        "created_via",
    ]
    search_fields = [
        "order__external_reference",
        "order__customer_email",
        "tracking_number",
        "order__fulfilments__tracking_number",
    ]
    list_select_related = ["order__channel", "channel", "location"]
    inlines = [ReturnLineInline, ReturnReceiptInline]
    readonly_fields = [
        "order",
        "channel",
        "state",
        "resolution",
        "created_via",
        "location",
        "tracking_number",
        "customer_note",
        "rejection_reason",
        "exchange_order",
        "created_by",
        "created_at",
        "closed_at",
        "inspections",
        "refund_preview",
        "timeline",
    ]
    fields = readonly_fields
    actions = ["approve", "reject", "cancel", "refund", "close"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="inspections")
    def inspections(self, ret: ReturnRequest) -> str:
        rows = ReturnInspection.objects.filter(line__return_request=ret).select_related(
            "line__order_line"
        )
        return (
            format_html_join(
                "",
                "<div>{} x {}: {} / {} ({})</div>",
                (
                    (i.quantity, i.line.order_line.sku, i.condition, i.disposition, i.inspected_by)
                    for i in rows
                ),
            )
            or "-"
        )

    @admin.display(description="refund preview")
    def refund_preview(self, ret: ReturnRequest) -> str:
        b = services.return_refund_compute(ret=ret).breakdown()
        return format_html(
            "<span class='refund-preview'>goods {} - discount {} + shipping {} - restocking fee "
            "{} - already refunded {} = <strong>{}</strong></span>",
            b["goods"],
            b["discount"],
            b["shipping"],
            b["restocking_fee"],
            b["already_refunded"],
            b["total"],
        )

    @admin.display(description="timeline")
    def timeline(self, ret: ReturnRequest) -> str:
        events = ret.order.events.filter(data__return_id=ret.pk).order_by("sequence")
        return (
            format_html_join(
                "",
                "<div>#{} {} {} ({})</div>",
                (
                    (e.sequence, e.created_at.strftime("%Y-%m-%d %H:%M"), e.type, e.actor)
                    for e in events
                ),
            )
            or "-"
        )

    @admin.action(description="Approve selected returns")
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            TRANSITION,
            lambda r, a: services.return_approve(return_id=r.pk, actor=a),
        )

    @admin.action(description="Reject selected returns")
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            TRANSITION,
            lambda r, a: services.return_reject(
                return_id=r.pk, reason="rejected by staff", actor=a
            ),
        )

    @admin.action(description="Cancel selected returns (before receipt)")
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            TRANSITION,
            lambda r, a: services.return_cancel(return_id=r.pk, actor=a),
        )

    @admin.action(description="Refund selected returns (as previewed)")
    def refund(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            ISSUE_REFUND,
            lambda r, a: services.return_refund(return_id=r.pk, actor=a),
        )

    @admin.action(description="Close selected inspected returns")
    def close(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            self,
            request,
            queryset,
            TRANSITION,
            lambda r, a: services.return_close(return_id=r.pk, actor=a),
        )


@admin.register(QualityHold)
class QualityHoldAdmin(admin.ModelAdmin):
    list_display = ["pk", "product", "location", "quantity", "status", "created_at"]
    list_filter = ["status", ("location", admin.RelatedOnlyFieldListFilter)]
    readonly_fields = [
        "inspection",
        "location",
        "product",
        "quantity",
        "status",
        "decided_by",
        "decided_at",
    ]
    actions = ["release", "write_off"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet, release: bool) -> None:
        if not request.user.has_perm(INSPECT):
            self.message_user(request, "You lack the permission for this.", messages.ERROR)
            return
        for hold in queryset.order_by("pk"):
            try:
                services.quality_hold_decide(
                    hold_id=hold.pk, release=release, actor=user_actor(request.user)
                )
            except OMSError as exc:
                self.message_user(request, f"Hold {hold.pk}: refused ({exc.code}).", messages.ERROR)

    @admin.action(description="Release to sellable stock")
    def release(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, True)

    @admin.action(description="Write off")
    def write_off(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, False)


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "channel",
        "window_days",
        "auto_approve",
        "auto_approve_max_amount",
        "shipping_refund",
        "restocking_fee_percent",
    ]


@admin.register(ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "active"]
    list_filter = ["active"]
