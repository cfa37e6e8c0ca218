"""The replay file: orders as JSON (the simulate payload plus reference and channel), parsed
into the planner's requests for `routing.replay`."""

from __future__ import annotations

import json
from pathlib import Path

from rest_framework import serializers

from inventory.models import Location
from oms.models import Channel
from routing.api.serializers import SimulateInputSerializer
from routing.planner import Destination, PlanLine, RoutingRequest
from routing.replay import ReplayOrder


class ReplayFileError(ValueError):
    """The file cannot be read or holds invalid orders (the message says which)."""


class FileOrder(SimulateInputSerializer):
    reference = serializers.CharField(max_length=100, required=False)
    channel = serializers.CharField(max_length=50, required=False, allow_null=True)
    pickup_location = serializers.CharField(max_length=50, required=False, allow_null=True)


def replay_orders_from_file(*, path: Path, channel: Channel | None) -> list[ReplayOrder]:
    """The orders of a replay file (format: `manage.py routing_replay --help`). With `channel`,
    orders of other channels are left out and the rest are routed for it. Raises
    `ReplayFileError`."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReplayFileError(f"Cannot read {path}: {exc}")
    if not isinstance(rows, list):
        raise ReplayFileError(f"{path}: expected a JSON list of orders.")

    parsed = []
    errors = []
    for position, row in enumerate(rows, start=1):
        data = FileOrder(data=row)
        if data.is_valid():
            parsed.append((position, data.validated_data))
        else:
            errors.append(f"order {position}: {json.dumps(data.errors)}")
    if errors:
        raise ReplayFileError("Invalid orders in the file:\n" + "\n".join(errors[:20]))
    channel_codes = {v["channel"] for _, v in parsed if v.get("channel")}
    channel_ids = dict(Channel.objects.filter(code__in=channel_codes).values_list("code", "pk"))
    location_codes = {v["pickup_location"] for _, v in parsed if v.get("pickup_location")}
    location_ids = dict(Location.objects.filter(code__in=location_codes).values_list("code", "pk"))
    unknown = sorted(channel_codes - channel_ids.keys()) + sorted(
        location_codes - location_ids.keys()
    )
    if unknown:
        raise ReplayFileError(f"Unknown channel or location codes: {', '.join(unknown)}")
    orders = []
    for position, v in parsed:
        channel_id = channel_ids.get(v.get("channel") or "")
        if channel is not None:
            if channel_id not in (None, channel.pk):
                continue
            channel_id = channel.pk
        dest = v["destination"]
        orders.append(
            ReplayOrder(
                reference=v.get("reference") or f"#{position}",
                request=RoutingRequest(
                    lines=tuple(
                        PlanLine(str(i), line["sku"], line["quantity"], line["unit_price"])
                        for i, line in enumerate(v["lines"], start=1)
                    ),
                    destination=Destination(dest["country"], dest["latitude"], dest["longitude"]),
                    delivery_type=v["delivery_type"],
                    pickup_location_id=location_ids.get(v.get("pickup_location") or ""),
                    channel_id=channel_id,
                ),
            )
        )
    return orders
