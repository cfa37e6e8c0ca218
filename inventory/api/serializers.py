from typing import Any

from rest_framework import serializers

from inventory.models import InboundStock, Location, Product
from inventory.services import MAX_QUANTITY
from oms.api.exceptions import ErrorSerializer
from oms.api.fields_once import FieldsBuiltOnce
from oms.text import reject_control_characters

MAX_FEED_ROWS = 10_000
MAX_AVAILABILITY_SKUS = 500


def availability_query(params: Any) -> dict[str, Any]:
    """`AvailabilityQuerySerializer`'s validated data from the query parameters.

    The hottest read path: the well-formed query (ASCII SKUs, known boolean spellings, 1 to
    MAX_AVAILABILITY_SKUS SKUs) is read here directly; anything else goes through the
    serializer, which gives the same result or raises its own errors (a test holds the two
    equal on valid input and checks that invalid input always reaches the serializer).
    """
    raw = params.get("skus")
    if isinstance(raw, str) and raw.isascii() and "\x00" not in raw:
        skus = [part.strip() for part in raw.split(",") if part.strip()]
        if 0 < len(skus) <= MAX_AVAILABILITY_SKUS:
            flags = [_flag(params.get(name)) for name in ("include_inbound", "include_locations")]
            if None not in flags:
                return {"skus": skus, "include_inbound": flags[0], "include_locations": flags[1]}
    query = AvailabilityQuerySerializer(data=params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _flag(value: str | None) -> bool | None:
    """A BooleanField's reading of a query value (missing: its default, True); None when it
    is not one of the spellings BooleanField accepts."""
    if value is None:
        return True
    value = value.lower()
    if value in serializers.BooleanField.TRUE_VALUES:
        return True
    if value in serializers.BooleanField.FALSE_VALUES:
        return False
    return None


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


class AvailabilityQuerySerializer(FieldsBuiltOnce, serializers.Serializer):  # type: ignore[misc]
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
    quantity = serializers.IntegerField(help_text="Still expected (expected - received).")
    reserved = serializers.IntegerField(help_text="Promised to pre-orders.")
    sellable = serializers.IntegerField(
        help_text="Inbound ATP your channel can still sell as pre-orders: expected - received "
        "- reserved, within the channel's horizon; 0 when the channel does not sell inbound."
    )


class SkuAvailabilityOutputSerializer(serializers.Serializer):
    sku = serializers.CharField()
    known = serializers.BooleanField(help_text="False when the SKU does not exist.")
    available = serializers.IntegerField(help_text="Available to promise for your channel now.")
    inbound_total = serializers.IntegerField()
    preorder_available = serializers.IntegerField(
        help_text="Sum of `inbound[].sellable`: units sellable as pre-orders, beside `available`."
    )
    locations = LocationAvailabilityOutputSerializer(many=True)
    inbound = InboundAvailabilityOutputSerializer(many=True)


def availability_as_dict(entry: Any) -> dict[str, Any]:
    """SkuAvailabilityOutputSerializer's output, built by hand for the hot path."""
    return {
        "sku": entry.sku,
        "known": entry.known,
        "available": entry.available,
        "inbound_total": entry.inbound_total,
        "preorder_available": entry.preorder_available,
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
                "reserved": inbound.reserved,
                "sellable": inbound.sellable,
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
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        validators=[reject_control_characters],
    )
    inbound_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        validators=[reject_control_characters],
        help_text="With a positive delta: a receipt against the location's open inbound line "
        "with this reference (its pre-orders convert into reservations).",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("inbound_reference") and not (attrs.get("delta") or 0) > 0:
            raise serializers.ValidationError({"inbound_reference": "Needs a positive delta."})
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
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        validators=[reject_control_characters],
    )
    updates = StockUpdateRowSerializer(many=True, allow_empty=False, max_length=MAX_FEED_ROWS)


class StockFeedRowErrorSerializer(serializers.Serializer):
    """One problem in a stock feed: one shape for malformed rows (400) and rule breaks (422)."""

    row = serializers.IntegerField(
        allow_null=True,
        help_text="Position of the row in `updates`, from 1 (as in `stale_rows`); null for a "
        "problem with the request as a whole.",
    )
    field = serializers.CharField(
        required=False, allow_null=True, help_text="The malformed field, where there is one."
    )
    code = serializers.CharField(
        help_text="`invalid_row` (malformed or contradictory row), `location_not_found`, "
        "`product_not_found`, `negative_quantity`, `counted_at_in_future`, "
        "`quantity_out_of_range`, `stock_below_reserved`; `invalid_request` for the request."
    )
    message = serializers.CharField()


class StockFeedErrorDetailsSerializer(serializers.Serializer):
    errors = StockFeedRowErrorSerializer(many=True, required=False)


class StockFeedErrorSerializer(ErrorSerializer):
    """The error body of the stock feed: `details.errors` lists every bad row."""

    details = StockFeedErrorDetailsSerializer()


def stock_feed_errors(errors: dict[str, Any]) -> list[dict[str, Any]]:
    """DRF's nested validation errors of a feed as one flat list of 1-based row errors."""
    flat: list[dict[str, Any]] = []

    def add(row: int | None, field: str | None, code: str, messages: Any) -> None:
        if isinstance(messages, dict):
            for name, nested in messages.items():
                inner = field if name == "non_field_errors" else name
                if field is not None and name != "non_field_errors":
                    inner = f"{field}.{name}"
                add(row, inner, code, nested)
        elif isinstance(messages, list):
            for message in messages:
                add(row, field, code, message)
        else:
            flat.append({"row": row, "field": field, "code": code, "message": str(messages)})

    for name, value in errors.items():
        rows: dict[Any, Any] = {}
        if name == "updates" and isinstance(value, list):  # one entry per row (DRF < 3.16)
            rows = dict(enumerate(value))
        elif name == "updates" and isinstance(value, dict):  # only the bad rows, by position
            rows = value
        if rows and all(isinstance(index, int) for index in rows):
            for index, row_errors in sorted(rows.items()):
                add(index + 1, None, "invalid_row", row_errors)
        else:
            add(None, None if name == "non_field_errors" else name, "invalid_request", value)
    return flat


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
            "quantity_reserved",
            "status",
        ]


class InboundCreateInputSerializer(serializers.Serializer):
    location = serializers.CharField(max_length=50)
    sku = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(
        choices=InboundStock.Kind.choices, default=InboundStock.Kind.PURCHASE_ORDER
    )
    reference = serializers.CharField(max_length=100, validators=[reject_control_characters])
    expected_date = serializers.DateField(
        help_text="At most OMS_INBOUND_MAX_DAYS_LATE days (default 14) in the past and "
        "OMS_INBOUND_MAX_DAYS_AHEAD days (default 365) ahead; otherwise 422 "
        "`expected_date_out_of_range`."
    )
    quantity = serializers.IntegerField(min_value=1, max_value=10_000_000)


class InboundUpdateInputSerializer(serializers.Serializer):
    expected_date = serializers.DateField(
        required=False, help_text="The new expected date (a later one is a slip)."
    )
    quantity = serializers.IntegerField(
        required=False, min_value=1, max_value=10_000_000, help_text="The new expected quantity."
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError("Give expected_date and/or quantity.")
        return attrs


class InboundReceiveInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=10_000_000)
