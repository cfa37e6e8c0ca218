"""Inventory reads. Availability is the hottest path: one statement whatever the SKU count."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from oms.models import Channel

from .availability_sql import (
    LEVEL,
    TOTAL,
    availability_json_call,
    availability_rows,
    json_expression_value,
)
from .models import InboundStock, Location, Product, StockLevel, StockMovement


def channel_locations(*, channel: Channel) -> QuerySet[Location]:
    """Active locations that may serve the channel."""
    return Location.objects.filter(channels=channel, active=True)


def channel_location_ids(*, channel: Channel) -> set[int]:
    return set(channel_locations(channel=channel).values_list("pk", flat=True))


@dataclass
class LocationAvailability:
    location_code: str
    location_id: int
    on_hand: int
    reserved: int
    safety_stock: int

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety_stock)


@dataclass
class InboundAvailability:
    location_code: str
    expected_date: dt.date
    quantity: int  # still expected (expected - received)
    reserved: int = 0  # promised to pre-orders
    sellable: int = 0  # what the channel can still sell as pre-orders (0: not sellable)


@dataclass
class SkuAvailability:
    sku: str
    known: bool
    available: int = 0
    locations: list[LocationAvailability] = field(default_factory=list)
    inbound: list[InboundAvailability] = field(default_factory=list)

    @property
    def inbound_total(self) -> int:
        return sum(i.quantity for i in self.inbound)

    @property
    def preorder_available(self) -> int:
        """Inbound units the channel can still sell as pre-orders (within its horizon)."""
        return sum(i.sellable for i in self.inbound)


def availability_for_channel(
    *,
    channel: Channel,
    skus: Sequence[str],
    include_inbound: bool = True,
    include_locations: bool = True,
) -> list[SkuAvailability]:
    """Available to promise per SKU for a channel, with per-location and inbound breakdown.

    ATP per location = on hand - reserved - safety stock, never below 0; the channel sees
    the sum over the active locations that serve it, minus its buffer (never below 0).
    One statement on PostgreSQL (inventory/availability_sql.py), three elsewhere (products,
    stock levels, inbound), however many SKUs are asked.
    """
    wanted = list(dict.fromkeys(skus))
    if connection.vendor == "postgresql":
        results = _availability_sql(channel, wanted, include_inbound, include_locations)
    else:
        results = _availability_orm(channel, wanted, include_inbound, include_locations)
    buffer = channel.availability_buffer
    if buffer:
        for entry in results.values():
            entry.available = max(0, entry.available - buffer)
    return list(results.values())


def availability_json_expression(
    *,
    channel: Channel,
    skus: Sequence[str],
    include_inbound: bool = True,
    include_locations: bool = True,
) -> tuple[str, dict[str, Any]] | None:
    """`availability_for_channel` as the API's JSON text, built by PostgreSQL in the same
    statement that reads the stock (inventory/availability_sql.py): an SQL expression and its
    named parameters, for a statement that may ask more (the API key's check). None on other
    databases, where the caller renders `availability_for_channel` itself."""
    if connection.vendor != "postgresql":
        return None
    return availability_json_call(
        channel=channel,
        skus=skus,
        include_inbound=include_inbound,
        include_locations=include_locations,
    )


def availability_json_text(**asked: Any) -> str | None:
    """`availability_json_expression`'s answer (same arguments), evaluated on its own."""
    statement = availability_json_expression(**asked)
    return None if statement is None else json_expression_value(*statement)


def _availability_sql(
    channel: Channel, wanted: list[str], include_inbound: bool, include_locations: bool
) -> dict[str, SkuAvailability]:
    results = {sku: SkuAvailability(sku=sku, known=False) for sku in wanted}
    rows = availability_rows(
        channel=channel,
        skus=wanted,
        include_inbound=include_inbound,
        include_locations=include_locations,
    )
    for kind, _product_id, sku, location_id, code, a, b, c, expected in rows:
        entry = results[sku]
        entry.known = True
        if kind == LEVEL:
            loc = LocationAvailability(code, location_id, a, b, c)
            entry.locations.append(loc)
            entry.available += loc.available
        elif kind == TOTAL:
            entry.available += a
        elif a > 0:
            entry.inbound.append(InboundAvailability(code, expected, a, b, c))
    return results


def _availability_orm(
    channel: Channel, wanted: list[str], include_inbound: bool, include_locations: bool
) -> dict[str, SkuAvailability]:
    products = dict(Product.objects.filter(sku__in=wanted, active=True).values_list("pk", "sku"))
    results = {sku: SkuAvailability(sku=sku, known=False) for sku in wanted}
    for sku in products.values():
        results[sku].known = True
    if not products:
        return results
    levels = StockLevel.objects.filter(
        product_id__in=products.keys(),
        location__channels=channel,
        location__active=True,
    )
    if include_locations:
        rows = levels.order_by("product_id", "location__code").values_list(
            "product_id", "location_id", "location__code", "on_hand", "reserved", "safety_stock"
        )
        for product_id, location_id, code, on_hand, reserved, safety in rows:
            entry = results[products[product_id]]
            loc = LocationAvailability(code, location_id, on_hand, reserved, safety)
            entry.locations.append(loc)
            entry.available += loc.available
    else:
        # Only the totals: summed in SQL, one row per SKU.
        per_location = Greatest(F("on_hand") - F("reserved") - F("safety_stock"), Value(0))
        totals = (
            levels.values("product_id")
            .annotate(total=Sum(per_location))
            .values_list("product_id", "total")
            .order_by()
        )
        for product_id, total in totals:
            results[products[product_id]].available = total or 0
    if include_inbound:
        inbound = (
            InboundStock.objects.filter(
                product_id__in=products.keys(),
                status=InboundStock.Status.OPEN,
                location__channels=channel,
                location__active=True,
            )
            .values("product_id", "location__code", "location__kind", "expected_date")
            .annotate(
                quantity=Sum(F("quantity_expected") - F("quantity_received")),
                reserved=Sum("quantity_reserved"),
            )
            .order_by("product_id", "expected_date", "location__code")
        )
        today = timezone.localdate()
        for row in inbound:
            if row["quantity"] > 0:
                sellable = 0
                if channel.sell_inbound:
                    horizon = channel.inbound_horizon_for(row["location__kind"])
                    if row["expected_date"] <= today + dt.timedelta(days=horizon):
                        sellable = max(0, row["quantity"] - row["reserved"])
                results[products[row["product_id"]]].inbound.append(
                    InboundAvailability(
                        row["location__code"],
                        row["expected_date"],
                        row["quantity"],
                        row["reserved"],
                        sellable,
                    )
                )
    return results


def atp_by_location(
    *, location_ids: Sequence[int], product_ids: Sequence[int]
) -> dict[int, dict[int, int]]:
    """location_id -> product_id -> available to promise, in one query (for routing)."""
    result: dict[int, dict[int, int]] = defaultdict(dict)
    rows = StockLevel.objects.filter(
        location_id__in=location_ids, product_id__in=product_ids
    ).values_list("location_id", "product_id", "on_hand", "reserved", "safety_stock")
    for loc, prod, on_hand, reserved, safety in rows:
        result[loc][prod] = max(0, on_hand - reserved - safety)
    return result


@dataclass(frozen=True)
class LedgerMismatch:
    stock_level_id: int
    location_code: str
    sku: str
    field: str
    level_value: int
    ledger_value: int


def stock_ledger_mismatches(*, location_codes: Sequence[str] | None = None) -> list[LedgerMismatch]:
    """Stock levels whose quantities differ from the sum of their movements (should be none).

    Also checks that `reserved` equals the sum of active reservations.
    """
    from .models import Reservation

    levels = StockLevel.objects.select_related("location", "product")
    if location_codes:
        levels = levels.filter(location__code__in=location_codes)
    sums = {
        row["stock_level_id"]: row
        for row in StockMovement.objects.values("stock_level_id").annotate(
            on_hand=Sum("on_hand_delta"),
            reserved=Sum("reserved_delta"),
            safety=Sum("safety_stock_delta"),
        )
    }
    held = dict(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE)
        .values("stock_level_id")
        .annotate(total=Sum("quantity"))
        .values_list("stock_level_id", "total")
    )
    mismatches: list[LedgerMismatch] = []
    for level in levels.iterator(chunk_size=5000):
        ledger = sums.get(level.pk, {"on_hand": 0, "reserved": 0, "safety": 0})
        checks = [
            ("on_hand", level.on_hand, ledger["on_hand"] or 0),
            ("reserved", level.reserved, ledger["reserved"] or 0),
            ("safety_stock", level.safety_stock, ledger["safety"] or 0),
            ("reserved_vs_reservations", level.reserved, held.get(level.pk, 0)),
        ]
        for name, have, expected in checks:
            if have != expected:
                mismatches.append(
                    LedgerMismatch(
                        level.pk, level.location.code, level.product.sku, name, have, expected
                    )
                )
    mismatches.extend(_inbound_mismatches(location_codes))
    return mismatches


@dataclass(frozen=True)
class LocationStock:
    """One location's figures for a SKU (`availability.available` is its ATP)."""

    location: Location
    availability: LocationAvailability
    last_counted_at: dt.datetime | None
    stock_level_id: int | None


@dataclass(frozen=True)
class SkuStock:
    """Everything the per-SKU stock page shows."""

    product: Product
    locations: list[LocationStock]
    channels: list[tuple[Channel, SkuAvailability]]
    inbound: list[InboundStock]
    movements: list[StockMovement]

    @property
    def totals(self) -> LocationAvailability:
        return LocationAvailability(
            "all",
            0,
            sum(s.availability.on_hand for s in self.locations),
            sum(s.availability.reserved for s in self.locations),
            sum(s.availability.safety_stock for s in self.locations),
        )

    @property
    def available(self) -> int:
        return sum(s.availability.available for s in self.locations)


def sku_stock(*, product: Product, movements: int = 25) -> SkuStock:
    """One SKU's stock: per location (every location, also those holding none), per channel
    (`availability_for_channel`, the same figure the API promises), open inbound stock by
    expected date, and the newest ledger movements. Queries: locations, levels, channels,
    three per channel, inbound, movements."""
    levels = {
        lvl.location_id: lvl
        for lvl in StockLevel.objects.filter(product=product).only(
            "pk", "location_id", "on_hand", "reserved", "safety_stock", "last_counted_at"
        )
    }
    rows = []
    for location in Location.objects.order_by("-active", "code"):
        lvl = levels.get(location.pk)
        figures = LocationAvailability(
            location.code,
            location.pk,
            lvl.on_hand if lvl else 0,
            lvl.reserved if lvl else 0,
            lvl.safety_stock if lvl else 0,
        )
        if lvl is None and not location.active:
            continue
        rows.append(
            LocationStock(location, figures, lvl.last_counted_at if lvl else None, lvl and lvl.pk)
        )
    channels = [
        (
            channel,
            availability_for_channel(channel=channel, skus=[product.sku], include_locations=False)[
                0
            ],
        )
        for channel in Channel.objects.order_by("code")
    ]
    inbound = list(
        InboundStock.objects.filter(product=product, status=InboundStock.Status.OPEN)
        .select_related("location")
        .order_by("expected_date", "location__code", "pk")
    )
    recent = list(
        StockMovement.objects.filter(stock_level__product=product)
        .select_related("stock_level__location")
        .order_by("-id")[:movements]
    )
    return SkuStock(product, rows, channels, inbound, recent)


def _inbound_mismatches(location_codes: Sequence[str] | None) -> list[LedgerMismatch]:
    """Inbound lines whose reserved figure differs from their active pre-order reservations
    (reported with the inbound line's id in `stock_level_id` and field
    `inbound_reserved_vs_reservations`)."""
    from .models import InboundReservation

    lines = InboundStock.objects.select_related("location", "product")
    if location_codes:
        lines = lines.filter(location__code__in=location_codes)
    held = dict(
        InboundReservation.objects.filter(status=InboundReservation.Status.ACTIVE)
        .values("inbound_id")
        .annotate(total=Sum("quantity"))
        .values_list("inbound_id", "total")
    )
    wrong = lines.exclude(quantity_reserved=0) | lines.filter(pk__in=list(held))
    return [
        LedgerMismatch(
            line.pk,
            line.location.code,
            line.product.sku,
            "inbound_reserved_vs_reservations",
            line.quantity_reserved,
            held.get(line.pk, 0),
        )
        for line in wrong.distinct()
        if line.quantity_reserved != held.get(line.pk, 0)
    ]
