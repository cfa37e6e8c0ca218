"""Admin for channels and API keys. A new key's secret is shown once, then only its hash."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from oms.api.context import user_actor
from oms.models import ApiKey, Channel, OutboxMessage
from oms.services import api_key_create


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


PREORDER_FIELDS = (
    "sell_inbound",
    "inbound_horizon_days",
    "inbound_horizon_by_kind",
    "waiting_limit",
)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "active", "availability_buffer"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    inlines = [ApiKeyInline]

    def get_fieldsets(self, request: HttpRequest, obj: Channel | None = None) -> Any:
        """The customer e-mail settings (orders/notifications) in a section of their own."""
        fields = self.get_fields(request, obj)
        emails = [f for f in fields if f.startswith("email_")]
        preorders = [f for f in PREORDER_FIELDS if f in fields]
        return [
            (None, {"fields": [f for f in fields if f not in emails and f not in preorders]}),
            (
                "Pre-orders and the waiting room",
                {
                    "fields": preorders,
                    "description": "Sell inbound stock before it arrives (README, Pre-orders), "
                    "and how many orders may wait for stock.",
                },
            ),
            (
                "Customer e-mails",
                {
                    "fields": emails,
                    "description": "Sender, branding and which e-mails customers get. Switch "
                    "an e-mail off when the shop sends its own (it can subscribe to webhooks).",
                },
            ),
        ]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "prefix", "scopes", "created_at", "last_used_at", "revoked"]
    list_filter = ["channel", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "channel__code"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke_keys"]

    @admin.display(boolean=True, description="revoked")
    def revoked(self, obj: ApiKey) -> bool:
        return obj.revoked_at is not None

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return ["channel", "name", "scopes"]
        return ["channel", "name", "scopes", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return []
        return ["channel", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = api_key_create(
            channel=obj.channel,
            name=obj.name,
            scopes=list(obj.scopes or ["orders"]),
            created_by=user_actor(request.user),
        )
        obj.pk = key.pk
        obj.refresh_from_db()  # the admin logs and redirects to the row the service created
        messages.warning(
            request,
            f"New API key (shown once, only its hash is stored): {raw}",
        )

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoke()
            self.log_change(request, key, "Revoked API key")
        self.message_user(request, "Keys revoked.")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "topic", "channel", "order_id", "sequence", "created_at"]
    list_filter = ["topic", "channel"]
    search_fields = ["=order_id"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the outbox is written by the services only: no "Save" on its pages

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


from . import admin_hub  # noqa: E402, F401  (registers the status hub's admin)
