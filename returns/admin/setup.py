"""Quality holds (release to sellable stock or write off), return policies and reasons."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from oms.api.context import user_actor
from oms.errors import OMSError

from .. import services
from ..models import QualityHold, ReturnPolicy, ReturnReason
from ..rules import INSPECT


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

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet, release: bool) -> None:
        if not request.user.has_perm(INSPECT):
            self.message_user(request, "You lack the permission for this.", messages.ERROR)
            return
        verb = "released to stock" if release else "written off"
        for hold in queryset.order_by("pk"):
            try:
                services.quality_hold_decide(
                    hold_id=hold.pk, release=release, actor=user_actor(request.user)
                )
            except OMSError as exc:
                self.message_user(
                    request, f"Hold {hold.pk} was not {verb}: {exc.message}", messages.ERROR
                )
            else:
                self.message_user(request, f"Hold {hold.pk} {verb}.", messages.SUCCESS)

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
