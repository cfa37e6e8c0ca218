"""The channel-wide event feed (`GET events/`): for systems that poll instead of receiving
webhooks. How it never skips a late commit: `oms/hub/feed.py`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.context import request_key
from oms.api.exceptions import error_responses
from oms.hub.feed import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    START,
    FeedPosition,
    cursor_decode,
    cursor_encode,
    feed_page,
)
from oms.models import ApiKey
from orders import selectors
from orders.errors import UnknownEventType
from orders.event_types import public_event_types


class FeedQuerySerializer(serializers.Serializer):
    after = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="An opaque cursor (`next`)."
    )
    types = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Comma-separated types."
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"Events per page (default {DEFAULT_LIMIT}).",
    )


class FeedEventSerializer(serializers.Serializer):
    cursor = serializers.CharField(help_text="Resume after this event with `?after=`.")
    type = serializers.CharField()
    order_id = serializers.IntegerField(allow_null=True)
    sequence = serializers.IntegerField(allow_null=True, help_text="Per-order sequence.")
    created_at = serializers.DateTimeField()
    body = serializers.JSONField(
        help_text="The message body webhooks carry: {type, version, timestamp, order_id, "
        "external_reference, sequence, data}.",
    )


class FeedPageSerializer(serializers.Serializer):
    results = FeedEventSerializer(many=True)
    next = serializers.CharField(help_text="Send as `after` on the next call (always set).")
    has_more = serializers.BooleanField(help_text="More events are visible right now.")


class EventFeedView(APIView):
    required_scope = ApiKey.Scope.ORDERS

    @extend_schema(
        tags=["events"],
        summary="The channel's public events in commit order (cursor feed)",
        description="Poll with the `next` cursor of the previous page. Events appear in the "
        "order their transactions committed (by transaction, then id); an event whose "
        "transaction is still running holds later ones back, so advancing the cursor never "
        "skips an event. A key bound to a location sees only orders with a fulfilment there. "
        "Bad cursor: 400 `invalid_cursor`; unknown type: 400 `unknown_event_type`.",
        parameters=[FeedQuerySerializer],
        responses={200: FeedPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        v = query.validated_data
        after = cursor_decode(v["after"]) if v.get("after") else START
        types = sorted({t.strip() for t in v.get("types", "").split(",") if t.strip()})
        unknown = sorted(set(types) - set(public_event_types()))
        if unknown:
            raise UnknownEventType(details={"types": unknown})
        key = request_key(request)
        order_ids = selectors.location_order_ids(key=key)
        page = feed_page(
            channel_id=key.channel_id,
            after=after,
            types=types,
            limit=v.get("limit", DEFAULT_LIMIT),
            order_ids=order_ids,
        )
        results = [
            {
                "cursor": cursor_encode(FeedPosition(txid=m.txid, id=m.pk)),
                "type": m.topic,
                "order_id": m.order_id,
                "sequence": m.sequence,
                "created_at": m.created_at,
                "body": m.payload,
            }
            for m in page.messages
        ]
        return Response(
            FeedPageSerializer(
                {"results": results, "next": page.next, "has_more": page.has_more}
            ).data
        )
