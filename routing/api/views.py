"""Routing API: what-if routing (simulate) and delivery promises. Both reserve nothing."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.context import request_channel
from oms.api.exceptions import error_responses
from routing import selectors
from routing.capacity import capacity_source
from routing.planner import Destination, PlanLine
from routing.promising import PromiseItem, PromiseModel

from . import serializers as s

SIMULATE_DESCRIPTION = """
Plans an order exactly as order creation would - same fences, ratings, split rules and
decision log - and **reserves nothing**. Use it to see where an order would go, or to try a
draft strategy before activating it (`strategy_version`).

Only locations that serve your channel are candidates, and the decision log names only those.

* `strategy_version` (optional): the id of any version of a strategy that is global or scoped to
  your channel, drafts included. Default: the active strategy for your channel, the destination
  country and the delivery type (the most specific match wins; without one, the built-in
  default - lowest shipping cost).
* Not routable is an answer, not an error: `routable` is false, `unallocated` lists what is
  missing, `reasons` says why (`insufficient_stock`, `split_not_allowed`, `max_parts_exceeded`,
  `min_part_value_not_met`, `no_candidate`, `pickup_store_unavailable`,
  `pickup_store_insufficient_stock`, ...), and `fulfilments` hold the best partial plan.
* Capacity: today's fulfilments per location count against its daily capacity.

Errors: `unknown_sku` (422, `details.skus`), `location_not_found` (404: the pickup store or an
excluded location does not exist or does not serve your channel), `strategy_not_found` (404),
`strategy_invalid` (422: the chosen version's rules are broken, `details.problems`),
`invalid_request` (400: malformed, quantity < 1 or above 100,000, more than 100 lines).
"""

SIMULATE_EXAMPLE = OpenApiExample(
    "Two lines shipped to Berlin",
    request_only=True,
    value={
        "lines": [
            {"sku": "TSHIRT-RED-M", "quantity": 2, "unit_price": "19.90"},
            {"sku": "CAP-BLUE", "quantity": 1},
        ],
        "destination": {"country": "DE", "latitude": 52.52, "longitude": 13.405},
        "delivery_type": "ship",
    },
)


def _simulation_body(result: selectors.Simulation) -> dict[str, Any]:
    plan, codes = result.plan, result.location_codes
    version = result.strategy.version
    config = result.strategy.config
    sku_of = {line["line_id"]: line["sku"] for line in plan.decision_log["request"]["lines"]}
    return {
        "routable": plan.routable,
        "optimal": plan.optimal,
        "strategy": {
            "id": version.pk if version else None,
            "name": config.name,
            "version": config.version,
            "status": version.status if version else "builtin",
        },
        "fulfilments": [
            {
                "location": codes[f.location_id],
                "lines": [
                    {"line_id": pl.line_id, "sku": pl.sku, "quantity": pl.quantity}
                    for pl in f.lines
                ],
                "transfer_to": (
                    codes[f.transfer_to_location_id] if f.transfer_to_location_id else None
                ),
                "cost": f.cost,
                "distance_km": f.distance_km,
            }
            for f in plan.fulfilments
        ],
        "unallocated": [
            {"line_id": line_id, "sku": sku_of.get(line_id, ""), "quantity": quantity}
            for line_id, quantity in plan.unallocated.items()
        ],
        "reasons": list(plan.reasons),
        "decision_log": plan.decision_log,
    }


class SimulateView(APIView):
    @extend_schema(
        tags=["routing"],
        operation_id="routing_simulate",
        summary="Simulate routing an order (reserves nothing)",
        description=SIMULATE_DESCRIPTION,
        request=s.SimulateInputSerializer,
        responses={200: s.SimulateOutputSerializer, **error_responses(400, 404, 422)},
        examples=[SIMULATE_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        data = s.SimulateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        dest = v["destination"]
        result = selectors.route_simulate(
            channel=request_channel(request),
            lines=[
                PlanLine(
                    line_id=str(position),
                    sku=line["sku"],
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                )
                for position, line in enumerate(v["lines"], start=1)
            ],
            destination=Destination(
                country=dest["country"], latitude=dest["latitude"], longitude=dest["longitude"]
            ),
            delivery_type=v["delivery_type"],
            pickup_location_code=v.get("pickup_location"),
            excluded_location_codes=v["excluded_locations"],
            strategy_version_id=v["strategy_version"],
            capacity_used=capacity_source(),
        )
        return Response(s.SimulateOutputSerializer(_simulation_body(result)).data)


def _promise_description() -> str:
    m = PromiseModel()
    bands = ", ".join(f"<= {km:g} km: {days}" for km, days in m.transit_bands)
    return f"""
"Can you deliver these items to this address, how, and by when?" - for a checkout, before the
order exists. Reserves nothing; answers from the stock on hand at the locations that serve
your channel. It offers exactly what `POST /orders/` would accept now: an order reserves stock
on hand only, so inbound stock (purchase orders, transfers) does not make an option available
until it is received (the `inbound` source is reserved for pre-orders).

**Options**: first shipping to the address, then click & collect at up to `max_pickup_stores`
stores offering it, nearest to the destination first (stores without coordinates last). Each
option says whether a date can be promised (`available`), the earliest date, where the goods
come from (`source`: `on_hand`, `inbound`, `transfer`) and why (`explanation`). Shipping prefers
one location holding everything (earliest arrival, then nearest); otherwise several parcels from
stock on hand (the last parcel's date).

**How dates are computed**
* Working days are Monday to Friday. Picking, dispatch and carrier transit skip weekends.
  (Public holidays are not configured yet.)
* **Cut-off**: an order placed on a working day before the location's cut-off hour (its
  `cutoff_hour`, default {m.cutoff_hour}:00, in the server's time zone) starts processing that
  day; later, or on a weekend, the next working day. A location whose daily capacity is used
  up today starts the next working day too.
* **Processing**: dispatch = start day + the location's `processing_days` working days.
* **Transit** by great-circle distance to the address, in working days: {bands}; beyond that
  or without coordinates: {m.transit_days_beyond}.
* **Inbound stock** is sellable {m.receiving_days} working day(s) after its expected date (an
  overdue one counts as arriving today); processing starts that morning (no cut-off).
* **Click & collect**: stores are open every day {m.store_open_hour}:00-{m.store_close_hour}:00;
  an order is ready {m.pickup_ready_hours} hours after it can be picked, within opening hours.
  From the store's own stock, or - if your click & collect routing strategy
  allows transfers into the pickup store - a transfer from another location (that location's
  dispatch + the strategy's transfer days).

Errors: `unknown_sku` (422, `details.skus`), `invalid_request` (400: malformed, quantity < 1
or above 100,000, more than 100 items, `max_pickup_stores` outside 0-20).
"""


class PromiseView(APIView):
    @extend_schema(
        tags=["routing"],
        operation_id="promise_create",
        summary="Delivery options and earliest dates for a basket (reserves nothing)",
        description=_promise_description(),
        request=s.PromiseInputSerializer,
        responses={200: s.PromiseOutputSerializer, **error_responses(400, 422)},
        examples=[
            OpenApiExample(
                "Two items to Berlin",
                request_only=True,
                value={
                    "items": [
                        {"sku": "TSHIRT-RED-M", "quantity": 2},
                        {"sku": "CAP-BLUE", "quantity": 1},
                    ],
                    "destination": {"country": "DE", "latitude": 52.52, "longitude": 13.405},
                    "max_pickup_stores": 3,
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = s.PromiseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        dest = v["destination"]
        promise = selectors.delivery_promise(
            channel=request_channel(request),
            items=[PromiseItem(sku=item["sku"], quantity=item["quantity"]) for item in v["items"]],
            destination=Destination(
                country=dest["country"], latitude=dest["latitude"], longitude=dest["longitude"]
            ),
            max_pickup_stores=v["max_pickup_stores"],
            capacity_used=capacity_source(),
        )
        codes = promise.location_codes
        body = {
            "generated_at": promise.now,
            "options": [
                {
                    "delivery_type": option.type,
                    "available": option.available,
                    "earliest_date": option.earliest_date,
                    "ready_at": option.ready_at,
                    "source": option.source,
                    "in_stock_now": option.in_stock_now,
                    "locations": [codes[pk] for pk in option.location_ids],
                    "pickup_location": (
                        codes[option.pickup_location_id] if option.pickup_location_id else None
                    ),
                    "distance_km": option.distance_km,
                    "explanation": option.explanation,
                }
                for option in promise.options
            ],
        }
        return Response(s.PromiseOutputSerializer(body).data)
