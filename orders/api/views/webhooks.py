"""Webhook subscriptions of the key's channel: list, create (secret shown once), read,
change, delete, rotate the secret (shown once). Writes go through `oms.hub.services`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.context import request_actor, request_channel, request_key
from oms.api.exceptions import error_responses
from oms.hub import services as hub
from oms.models import ApiKey, WebhookSubscription
from orders.errors import UnknownEventType
from orders.event_types import public_event_types
from orders.idempotency import idempotent

from .common import IDEMPOTENCY_PARAM

MAX_TYPES = 100


def _types(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - set(public_event_types()))
    if unknown:
        raise UnknownEventType(details={"event_types": unknown})
    return value


class SubscriptionInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        max_length=MAX_TYPES,
        help_text="Public event types to send; empty or missing means all.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SubscriptionUpdateSerializer(SubscriptionInputSerializer):
    url = serializers.URLField(max_length=500, required=False)
    active = serializers.BooleanField(
        required=False, help_text="true re-enables a subscription disabled by failures."
    )


class SubscriptionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "event_types",
            "description",
            "active",
            "disabled_at",
            "disabled_reason",
            "previous_secret_expires_at",
            "created_at",
        ]


class SubscriptionWithSecretSerializer(SubscriptionOutputSerializer):
    secret = serializers.CharField(help_text="`whsec_...`: shown only in this response.")

    class Meta(SubscriptionOutputSerializer.Meta):
        fields = [*SubscriptionOutputSerializer.Meta.fields, "secret"]


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new `whsec_...`; shown only here.")
    previous_secret_expires_at = serializers.DateTimeField()


class _ChannelKeyOnly(APIView):
    required_scope = ApiKey.Scope.ORDERS

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request_key(request).location_id:
            raise exceptions.PermissionDenied("A location system's key cannot manage webhooks.")


class SubscriptionListCreateView(_ChannelKeyOnly):
    @extend_schema(
        tags=["webhooks"],
        summary="The channel's webhook subscriptions",
        responses={200: SubscriptionOutputSerializer(many=True), **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        subs = WebhookSubscription.objects.filter(channel=request_channel(request)).order_by("id")
        return Response(SubscriptionOutputSerializer(subs[:1000], many=True).data)

    @extend_schema(
        tags=["webhooks"],
        summary="Subscribe a URL (the secret is in this response only)",
        parameters=[IDEMPOTENCY_PARAM],
        request=SubscriptionInputSerializer,
        responses={201: SubscriptionWithSecretSerializer, **error_responses(400, 403, 409, 422)},
    )
    def post(self, request: Request) -> Response:
        channel = request_channel(request)

        def create() -> tuple[int, Any]:
            data = SubscriptionInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            sub, secret = hub.webhook_subscription_create(
                channel=channel,
                url=v["url"],
                event_types=_types(v.get("event_types", [])),
                description=v.get("description", ""),
                created_by=request_actor(request),
            )
            body = dict(SubscriptionOutputSerializer(sub).data, secret=secret)
            return 201, body

        return idempotent(
            request=request, channel=channel, scope="webhook_subscription_create", handler=create
        )


class SubscriptionDetailView(_ChannelKeyOnly):
    @extend_schema(
        tags=["webhooks"],
        summary="One webhook subscription",
        responses={200: SubscriptionOutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        sub = hub.webhook_subscription_get(channel=request_channel(request), subscription_id=pk)
        return Response(SubscriptionOutputSerializer(sub).data)

    @extend_schema(
        tags=["webhooks"],
        summary="Change a subscription (URL, types, description, active)",
        request=SubscriptionUpdateSerializer,
        responses={200: SubscriptionOutputSerializer, **error_responses(400, 403, 404, 422)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = SubscriptionUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        sub = hub.webhook_subscription_update(
            channel=request_channel(request),
            subscription_id=pk,
            url=v.get("url"),
            event_types=_types(v["event_types"]) if "event_types" in v else None,
            description=v.get("description"),
            active=v.get("active"),
        )
        return Response(SubscriptionOutputSerializer(sub).data)

    @extend_schema(
        tags=["webhooks"],
        summary="Delete a subscription and its deliveries",
        responses={204: None, **error_responses(403, 404)},
    )
    def delete(self, request: Request, pk: int) -> Response:
        hub.webhook_subscription_delete(channel=request_channel(request), subscription_id=pk)
        return Response(status=204)


class SubscriptionRotateSecretView(_ChannelKeyOnly):
    @extend_schema(
        tags=["webhooks"],
        summary="Rotate the secret (the old one keeps signing for 24 h)",
        request=None,
        responses={200: SecretSerializer, **error_responses(403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        sub = hub.webhook_subscription_get(channel=request_channel(request), subscription_id=pk)
        secret = hub.webhook_secret_rotate(subscription_id=sub.pk)
        sub.refresh_from_db()
        return Response(
            SecretSerializer(
                {"secret": secret, "previous_secret_expires_at": sub.previous_secret_expires_at}
            ).data
        )
