"""Routing API serializers: explicit input and output shapes for simulate and promise."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from routing.models import RoutingStrategy

MAX_LINES = 100
MAX_QUANTITY = 100_000
MAX_EXCLUDED_LOCATIONS = 200
MAX_PICKUP_STORES = 20
DEFAULT_PICKUP_STORES = 3


def _country(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise serializers.ValidationError("Give an ISO 3166-1 alpha-2 country code, e.g. 'DE'.")
    return value


class DestinationInputSerializer(serializers.Serializer):
    country = serializers.CharField(
        max_length=2, help_text="ISO 3166-1 alpha-2 country code of the delivery address."
    )
    latitude = serializers.FloatField(
        min_value=-90, max_value=90, required=False, allow_null=True, default=None
    )
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, required=False, allow_null=True, default=None
    )

    def validate_country(self, value: str) -> str:
        return _country(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("latitude") is None) != (attrs.get("longitude") is None):
            raise serializers.ValidationError("Give both latitude and longitude, or neither.")
        return attrs


class SimulateLineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        default=Decimal("0"),
        help_text="Used by the strategy's minimum part value; default 0.",
    )


class SimulateInputSerializer(serializers.Serializer):
    lines = SimulateLineInputSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_LINES,
        help_text=f"1 to {MAX_LINES} lines. Lines are numbered from 1 in the answer (`line_id`); "
        "lines of the same SKU share stock.",
    )
    destination = DestinationInputSerializer()
    delivery_type = serializers.ChoiceField(
        choices=RoutingStrategy.DeliveryType.choices, default=RoutingStrategy.DeliveryType.SHIP
    )
    pickup_location = serializers.CharField(
        max_length=50,
        required=False,
        help_text="Code of the click & collect store; required for `click_collect` only.",
    )
    excluded_locations = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        default=list,
        max_length=MAX_EXCLUDED_LOCATIONS,
        help_text="Location codes that must not fulfil (as after a rejection).",
    )
    strategy_version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,  # an id column
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of a strategy version to try (a draft, too). Default: the active strategy "
        "for your channel, the destination country and the delivery type.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        click_collect = attrs["delivery_type"] == RoutingStrategy.DeliveryType.CLICK_COLLECT
        if click_collect and not attrs.get("pickup_location"):
            raise serializers.ValidationError({"pickup_location": "Required for click & collect."})
        if not click_collect and attrs.get("pickup_location"):
            raise serializers.ValidationError(
                {"pickup_location": "Only for click & collect; leave it out when shipping."}
            )
        return attrs


class SimulatedLineOutputSerializer(serializers.Serializer):
    line_id = serializers.CharField(help_text="Position of the request line, from 1.")
    sku = serializers.CharField()
    quantity = serializers.IntegerField()


class SimulatedFulfilmentOutputSerializer(serializers.Serializer):
    location = serializers.CharField(help_text="Code of the location that picks and sends.")
    lines = SimulatedLineOutputSerializer(many=True)
    transfer_to = serializers.CharField(
        allow_null=True, help_text="Click & collect: the pickup store this part is sent to."
    )
    cost = serializers.FloatField(help_text="Estimated cost: base cost + cost per km x distance.")
    distance_km = serializers.FloatField(
        allow_null=True, help_text="Great-circle distance; null without coordinates."
    )


class SimulationStrategyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text="Strategy version id; null for the built-in default."
    )
    name = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["draft", "active", "retired", "builtin"],
        help_text="`builtin`: no strategy matches, the built-in default applied.",
    )


class SimulateOutputSerializer(serializers.Serializer):
    routable = serializers.BooleanField(help_text="True when every unit is allocated.")
    optimal = serializers.BooleanField(
        help_text="False when the search budget forced a heuristic plan."
    )
    strategy = SimulationStrategyOutputSerializer()
    fulfilments = SimulatedFulfilmentOutputSerializer(many=True)
    unallocated = SimulatedLineOutputSerializer(
        many=True, help_text="Units that could not be allocated (the plan is then partial)."
    )
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Reason codes when not (fully) routable."
    )
    decision_log = serializers.JSONField(
        help_text="Every candidate, the fence that removed it, its ratings, why the winner won."
    )


class PromiseItemInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class PromiseInputSerializer(serializers.Serializer):
    items = PromiseItemInputSerializer(
        many=True, allow_empty=False, max_length=MAX_LINES, help_text=f"1 to {MAX_LINES} items."
    )
    destination = DestinationInputSerializer()
    max_pickup_stores = serializers.IntegerField(
        min_value=0,
        max_value=MAX_PICKUP_STORES,
        default=DEFAULT_PICKUP_STORES,
        help_text="How many click & collect stores to offer at most (nearest first).",
    )


class DeliveryOptionOutputSerializer(serializers.Serializer):
    delivery_type = serializers.ChoiceField(
        choices=RoutingStrategy.DeliveryType.choices, help_text="`ship` or `click_collect`."
    )
    available = serializers.BooleanField(help_text="False when no date can be promised.")
    earliest_date = serializers.DateField(
        allow_null=True, help_text="Earliest delivery date (ship) or pickup date (click & collect)."
    )
    ready_at = serializers.DateTimeField(
        allow_null=True, help_text="Click & collect: when the order is ready for pickup."
    )
    source = serializers.ChoiceField(
        choices=["on_hand", "inbound", "transfer"],
        allow_null=True,
        help_text="Where the goods come from: stock on hand, expected (inbound) stock, or a "
        "transfer into the pickup store.",
    )
    in_stock_now = serializers.BooleanField(
        help_text="Everything is on hand where it is needed (shops often show 'in stock')."
    )
    locations = serializers.ListField(
        child=serializers.CharField(),
        help_text="Codes of the locations the goods come from (click & collect: the store first).",
    )
    pickup_location = serializers.CharField(
        allow_null=True, help_text="Click & collect: code of the store."
    )
    distance_km = serializers.FloatField(
        allow_null=True,
        help_text="Ship: farthest shipping location; click & collect: customer to store.",
    )
    explanation = serializers.CharField(help_text="Why this date, in words.")


class PromiseOutputSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField(help_text="The moment the dates were computed for.")
    options = DeliveryOptionOutputSerializer(
        many=True,
        help_text="The ship option first, then click & collect at the nearest stores.",
    )
