"""Input and output of the location-side and checkout-hold endpoints: ship, reject,
short-pick, and holds."""

from __future__ import annotations

from rest_framework import serializers

from .serializers import MAX_LINE_QUANTITY, MAX_LINES, AddressSerializer


class HoldLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class HoldCreateInputSerializer(serializers.Serializer):
    lines = HoldLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    destination = AddressSerializer()
    minutes = serializers.IntegerField(min_value=1, max_value=60, required=False)


class HoldOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    status = serializers.CharField()
    lines = serializers.JSONField()
    expires_at = serializers.DateTimeField()


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ShipInputSerializer(serializers.Serializer):
    carrier = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required (422 `tracking_required`) unless the location delivers itself.",
    )
    tracking_number = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required (422 `tracking_required`) unless the location delivers itself.",
    )
    tracking_url = serializers.URLField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="The carrier's tracking page; built from the carrier's template if omitted.",
    )


class ShortPickLineSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(min_value=1, max_value=MAX_LINES)
    missing = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class ShortPickInputSerializer(serializers.Serializer):
    lines = ShortPickLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    adjust_stock = serializers.BooleanField(
        default=True, help_text="Also write the missing units off the location's on hand."
    )
