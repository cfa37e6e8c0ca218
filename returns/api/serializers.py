"""Returns API input and output serializers."""

from __future__ import annotations

from rest_framework import serializers

from orders.api.payments import RefundSerializer

from ..models import (
    Condition,
    Disposition,
    Resolution,
    ReturnInspection,
    ReturnLine,
    ReturnReason,
    ReturnReceipt,
    ReturnRequest,
    ReturnState,
)

MAX_LINES = 200
MAX_LINE_NUMBER = 32767  # OrderLine.line_number is a PositiveSmallIntegerField
MAX_QUANTITY = 100_000  # the most an order line can hold
MAX_ID = 2**63 - 1  # BigAutoField


class ReturnLineInputSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(min_value=1, max_value=MAX_LINE_NUMBER)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    reason = serializers.SlugField(max_length=50, help_text="A code from `GET returns/reasons/`.")


class ReturnCreateInputSerializer(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    lines = ReturnLineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    resolution = serializers.ChoiceField(choices=Resolution.choices, default=Resolution.REFUND)
    tracking_number = serializers.CharField(max_length=100, required=False, default="")
    customer_note = serializers.CharField(max_length=2000, required=False, default="")


class ReceiptLineInputSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(min_value=1, max_value=MAX_LINE_NUMBER)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class ReceiveInputSerializer(serializers.Serializer):
    parcel_reference = serializers.CharField(
        max_length=100, help_text="Receiving the same parcel again changes nothing."
    )
    location = serializers.CharField(
        max_length=50,
        required=False,
        help_text="Receiving location code (a location system's key: its own location).",
    )
    lines = ReceiptLineInputSerializer(
        many=True,
        required=False,
        max_length=MAX_LINES,
        help_text="Units per order line in this parcel; omitted: everything outstanding.",
    )


class InspectionEntryInputSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(min_value=1, max_value=MAX_LINE_NUMBER)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    condition = serializers.ChoiceField(choices=Condition.choices)
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    note = serializers.CharField(max_length=200, required=False, default="")


class InspectInputSerializer(serializers.Serializer):
    lines = InspectionEntryInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)


class TrackingInputSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=100)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, default="")


class ReturnReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReturnReason
        fields = ["code", "label"]


class InspectionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReturnInspection
        fields = ["quantity", "condition", "disposition", "note", "inspected_by", "created_at"]


class ReturnLineOutputSerializer(serializers.ModelSerializer):
    line_number = serializers.IntegerField(source="order_line.line_number")
    sku = serializers.CharField(source="order_line.sku")
    reason = serializers.CharField(source="reason.code")
    inspections = InspectionOutputSerializer(many=True)

    class Meta:
        model = ReturnLine
        fields = [
            "line_number",
            "sku",
            "quantity",
            "reason",
            "received_quantity",
            "inspected_quantity",
            "inspections",
        ]


class ReceiptOutputSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.code")

    class Meta:
        model = ReturnReceipt
        fields = ["parcel_reference", "location", "lines", "received_by", "created_at"]


class ReturnOutputSerializer(serializers.ModelSerializer):
    order_id = serializers.IntegerField()
    order_reference = serializers.CharField(source="order.external_reference")
    channel = serializers.CharField(source="channel.code")
    state = serializers.ChoiceField(choices=ReturnState.choices)
    location = serializers.SerializerMethodField()
    lines = ReturnLineOutputSerializer(many=True)
    receipts = ReceiptOutputSerializer(many=True)

    class Meta:
        model = ReturnRequest
        fields = [
            "id",
            "order_id",
            "order_reference",
            "channel",
            "state",
            "resolution",
            "created_via",
            "location",
            "tracking_number",
            "customer_note",
            "rejection_reason",
            "exchange_order",
            "lines",
            "receipts",
            "created_at",
            "updated_at",
            "closed_at",
        ]

    def get_location(self, ret: ReturnRequest) -> str | None:
        return ret.location.code if ret.location is not None else None


class RefundPreviewSerializer(serializers.Serializer):
    lines = serializers.ListField(child=serializers.DictField())
    goods = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=12, decimal_places=2)
    restocking_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    adjustment = serializers.DecimalField(max_digits=12, decimal_places=2)
    adjustment_reason = serializers.CharField()
    already_refunded = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    refundable = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="What the order's payments can still refund (captured, not yet refunded).",
    )


class ReturnRefundInputSerializer(serializers.Serializer):
    expected_total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="The preview's `total`: if the amount is different now (something was "
        "received or refunded meanwhile), nothing is refunded (409 `refund_amount_changed`).",
    )


class ReturnRefundOutputSerializer(serializers.Serializer):
    refunds = RefundSerializer(many=True)
    breakdown = serializers.DictField()
    state = serializers.ChoiceField(choices=ReturnState.choices)
