from typing import Any

from rest_framework import serializers

from inventory.models import InboundStock, Location, Product
from inventory.services import MAX_QUANTITY

MAX_FEED_ROWS = 10_000
MAX_AVAILABILITY_SKUS = 500


class LocationOutputSerializer(serializers.ModelSerializer):
    services = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Location
        fields = [
            "code",
            "name",
            "kind",
            "active",
            "street",
            "postal_code",
            "city",
            "country",
            "latitude",
            "longitude",
            "services",
            "daily_capacity",
            "processing_days",
            "cutoff_hour",
        ]


class ProductOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["sku", "name", "barcode", "active"]


class AvailabilityQuerySerializer(serializers.Serializer):
    skus = serializers.CharField(
        help_text=f"Comma-separated SKUs (at most {MAX_AVAILABILITY_SKUS})."
    )
    include_inbound = serializers.BooleanField(default=True)
    include_locations = serializers.BooleanField(default=True)

    def validate_skus(self, value: str) -> list[str]:
        skus = [s.strip() for s in value.split(",") if s.strip()]
        if not skus:
            raise serializers.ValidationError("Give at least one SKU.")
        if len(skus) > MAX_AVAILABILITY_SKUS:
            raise serializers.ValidationError(f"At most {MAX_AVAILABILITY_SKUS} SKUs per request.")
        return skus


class LocationAvailabilityOutputSerializer(serializers.Serializer):
    location = serializers.CharField(source="location_code")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    safety_stock = serializers.IntegerField()
    available = serializers.IntegerField()


class InboundAvailabilityOutputSerializer(serializers.Serializer):
    location = serializers.CharField(source="location_code")
    expected_date = serializers.DateField()
    quantity = serializers.IntegerField()


class SkuAvailabilityOutputSerializer(serializers.Serializer):
    sku = serializers.CharField()
    known = serializers.BooleanField(help_text="False when the SKU does not exist.")
    available = serializers.IntegerField(help_text="Available to promise for your channel now.")
    inbound_total = serializers.IntegerField()
    locations = LocationAvailabilityOutputSerializer(many=True)
    inbound = InboundAvailabilityOutputSerializer(many=True)


def availability_as_dict(entry: Any) -> dict[str, Any]:
    """SkuAvailabilityOutputSerializer's output, built by hand for the hot path."""
    return {
        "sku": entry.sku,
        "known": entry.known,
        "available": entry.available,
        "inbound_total": entry.inbound_total,
        "locations": [
            {
                "location": loc.location_code,
                "on_hand": loc.on_hand,
                "reserved": loc.reserved,
                "safety_stock": loc.safety_stock,
                "available": loc.available,
            }
            for loc in entry.locations
        ],
        "inbound": [
            {
                "location": inbound.location_code,
                "expected_date": inbound.expected_date.isoformat(),
                "quantity": inbound.quantity,
            }
            for inbound in entry.inbound
        ],
    }


class StockUpdateRowSerializer(serializers.Serializer):
    location = serializers.CharField(max_length=50)
    sku = serializers.CharField(max_length=64)
    on_hand = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_QUANTITY,
        help_text="Absolute count; needs counted_at.",
    )
    counted_at = serializers.DateTimeField(
        required=False, help_text="When the count was taken; older counts never win."
    )
    delta = serializers.IntegerField(
        required=False,
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        help_text="Relative change (+/-).",
    )
    safety_stock = serializers.IntegerField(required=False, min_value=0, max_value=MAX_QUANTITY)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    def validate(self, attrs: dict) -> dict:
        has_abs = "on_hand" in attrs
        has_delta = "delta" in attrs
        if has_abs and has_delta:
            raise serializers.ValidationError("Give on_hand or delta, not both.")
        if not (has_abs or has_delta or "safety_stock" in attrs):
            raise serializers.ValidationError("Give on_hand, delta or safety_stock.")
        if has_abs and "counted_at" not in attrs:
            raise serializers.ValidationError({"counted_at": "Required with on_hand."})
        if has_delta and attrs["delta"] == 0:
            raise serializers.ValidationError({"delta": "Must not be zero."})
        return attrs


class StockUpdateInputSerializer(serializers.Serializer):
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    updates = StockUpdateRowSerializer(many=True, allow_empty=False, max_length=MAX_FEED_ROWS)


class StockUpdateOutputSerializer(serializers.Serializer):
    applied = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    movements = serializers.IntegerField()
    stale_rows = serializers.ListField(
        child=serializers.IntegerField(),
        source="stale",
        help_text="Rows (1-based) skipped because a newer count was already applied.",
    )


class InboundOutputSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.code")
    sku = serializers.CharField(source="product.sku")
    quantity_outstanding = serializers.IntegerField()

    class Meta:
        model = InboundStock
        fields = [
            "id",
            "location",
            "sku",
            "kind",
            "reference",
            "expected_date",
            "quantity_expected",
            "quantity_received",
            "quantity_outstanding",
            "status",
        ]


class InboundCreateInputSerializer(serializers.Serializer):
    location = serializers.CharField(max_length=50)
    sku = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(
        choices=InboundStock.Kind.choices, default=InboundStock.Kind.PURCHASE_ORDER
    )
    reference = serializers.CharField(max_length=100)
    expected_date = serializers.DateField()
    quantity = serializers.IntegerField(min_value=1, max_value=10_000_000)


class InboundReceiveInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=10_000_000)
