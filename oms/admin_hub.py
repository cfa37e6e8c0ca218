"""Admin of the status hub: webhook subscriptions (secret shown once, rotation, the
"disabled by failures" filter and notice) and the read-only delivery log with each
delivery's attempts. Replays need the permission `oms.replay_delivery` and are audited in
the admin history; every write goes through `oms.hub` services."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from oms.admin_console import action_form_page
from oms.api.context import user_actor
from oms.errors import OMSError, error_words
from oms.hub.replay import deliveries_replay
from oms.hub.services import (
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_update,
)
from oms.hub.ssrf import WebhookTargetRefused, target_addresses
from oms.hub.topics import published_topics
from oms.models import Delivery, DeliveryAttempt, WebhookSubscription

REPLAY_DELIVERY = "oms.replay_delivery"


def _topic_choices() -> list[tuple[str, str]]:
    return [(t, t) for t in published_topics()]


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=_topic_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Public event types to send; none ticked means all.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["channel", "url", "event_types", "description", "active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            target_addresses(url)
        except WebhookTargetRefused as exc:
            raise forms.ValidationError(error_words(exc)) from exc
        return url


class ReplaySinceForm(forms.Form):
    since = forms.DateTimeField(
        help_text="Send again every delivery published at or after this time (your time zone)."
    )


class SubscriptionStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("active", "Active"),
            ("disabled", "Disabled"),
            ("failures", "Disabled by failures"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "active":
            return queryset.filter(active=True)
        if self.value() == "disabled":
            return queryset.filter(active=False)
        if self.value() == "failures":
            return disabled_by_failures(queryset)
        return queryset


def disabled_by_failures(queryset: QuerySet | None = None) -> QuerySet:
    """Subscriptions the hub switched off (410, or the last scheduled try failed); staff
    switching one off does not set `disabled_at`."""
    queryset = WebhookSubscription.objects.all() if queryset is None else queryset
    return queryset.filter(active=False, disabled_at__isnull=False)


def failures_notice(request: HttpRequest) -> None:
    """Tell staff on the hub's lists when the hub switched subscriptions off."""
    failed = disabled_by_failures().count() if request.method == "GET" else 0
    if failed:
        url = reverse("admin:oms_webhooksubscription_changelist") + "?state=failures"
        messages.warning(
            request,
            format_html(
                "{} webhook subscription(s) were disabled after failures; their deliveries "
                'wait. <a href="{}">Show them</a>, fix the receiver, then enable and replay.',
                failed,
                url,
            ),
        )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["id", "channel", "url", "types", "active", "disabled_at", "disabled_reason"]
    list_filter = [SubscriptionStateFilter, "channel"]
    search_fields = ["url", "description", "channel__code"]
    list_select_related = ["channel"]
    actions = ["rotate_secret", "enable", "replay_since"]
    info_fields = [
        "disabled_at",
        "disabled_reason",
        "previous_secret_expires_at",
        "created_at",
        "created_by",
    ]

    @admin.display(description="event types")
    def types(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.event_types) or "all"

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REPLAY_DELIVERY)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["channel", "url", "event_types", "description"]
        return ["channel", "url", "event_types", "description", "active", *self.info_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else ["channel", *self.info_fields]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        failures_notice(request)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            webhook_subscription_update(
                channel=obj.channel,
                subscription_id=obj.pk,
                url=data["url"],
                event_types=list(data["event_types"]),
                description=data["description"],
                active=data["active"],
            )
            obj.refresh_from_db()
            return
        sub, secret = webhook_subscription_create(
            channel=data["channel"],
            url=data["url"],
            event_types=list(data["event_types"]),
            description=data["description"],
            created_by=user_actor(request.user),
        )
        obj.pk = sub.pk
        obj.refresh_from_db()  # the admin logs and redirects to the row the service created
        messages.warning(request, f"Signing secret of subscription {sub.pk} (shown once): {secret}")

    @admin.action(description="Rotate the signing secret (old one signs 24 h more)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        for sub in queryset:
            secret = webhook_secret_rotate(subscription_id=sub.pk)
            self.log_change(request, sub, "Rotated the signing secret")
            messages.warning(
                request, f"New signing secret of subscription {sub.pk} (shown once): {secret}"
            )

    @admin.action(description="Enable (clears the failure mark)", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet) -> None:
        for sub in queryset.filter(active=False):
            webhook_subscription_update(channel=sub.channel, subscription_id=sub.pk, active=True)
            self.log_change(request, sub, "Enabled")
        self.message_user(request, "Enabled; waiting deliveries go out now.", messages.SUCCESS)

    @admin.action(description="Replay deliveries since…", permissions=["replay"])
    def replay_since(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = ReplaySinceForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            since = form.cleaned_data["since"]
            actor = user_actor(request.user)
            for sub in queryset:
                report = deliveries_replay(subscription_id=sub.pk, since=since, actor=actor)
                done = (
                    f"Replayed deliveries since {since.isoformat()}: {report.requeued} "
                    f"requeued, {report.in_flight} in flight"
                )
                self.log_change(request, sub, done)
                if report.paused:
                    done += " (the subscription is disabled: they go out once it is enabled)"
                self.message_user(request, f"Subscription {sub.pk}: {done}.", messages.SUCCESS)
            return None
        return action_form_page(
            self,
            request,
            queryset,
            form=form,
            action="replay_since",
            title="Replay deliveries",
            intro="Every delivery of these subscriptions since the time below is sent again "
            "with its own webhook-id (receivers skip ids they processed), in order per order.",
            submit_label="Replay",
        )


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "number",
        "started_at",
        "duration_ms",
        "outcome",
        "status_code",
        "response_excerpt",
        "error",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Read only: deliveries change through the workers and the replay action only."""

    list_display = [
        "id",
        "kind",
        "subscription",
        "target",
        "topic",
        "order_id",
        "sequence",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "delivered_at",
    ]
    list_filter = ["status", "kind", "subscription"]
    search_fields = ["=message__order_id", "target"]
    list_select_related = ["message", "subscription"]
    inlines = [DeliveryAttemptInline]
    actions = ["replay"]
    fields = readonly_fields = [
        "kind",
        "subscription",
        "target",
        "webhook_id",
        "topic",
        "order_id",
        "sequence",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "replayed_at",
        "replayed_by",
        "body",
    ]

    @admin.display(description="event type")
    def topic(self, obj: Delivery) -> str:
        return obj.message.topic

    @admin.display(description="order")
    def order_id(self, obj: Delivery) -> int | None:
        return obj.message.order_id

    @admin.display(description="message body")
    def body(self, obj: Delivery) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.message.payload, indent=2))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REPLAY_DELIVERY)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        failures_notice(request)
        return super().changelist_view(request, extra_context)

    @admin.action(
        description="Replay selected deliveries (same webhook-id)", permissions=["replay"]
    )
    def replay(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = user_actor(request.user)
        requeued = in_flight = 0
        for delivery in queryset:
            try:
                report = deliveries_replay(delivery_id=delivery.pk, actor=actor)
            except OMSError as exc:
                self.message_user(request, f"{delivery.pk}: {exc.message}", messages.ERROR)
                continue
            requeued += report.requeued
            in_flight += report.in_flight
            if report.requeued:
                self.log_change(request, delivery, f"Replayed at {timezone.now().isoformat()}")
        self.message_user(
            request,
            f"{requeued} deliveries requeued; {in_flight} being sent right now (left alone).",
            messages.SUCCESS,
        )
