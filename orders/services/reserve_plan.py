"""Holding a plan's stock: conditional reservations of stock levels (on hand) and of
inbound lines (pre-orders), then the fulfilments and their lines."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from inventory.errors import InsufficientStock
from inventory.services import (
    InboundReservationRequest,
    ReservationRequest,
    inbound_reserve,
    stock_reserve,
)
from routing.planner import Plan, PlannedFulfilment
from routing.selectors import Snapshot

from ..models import Fulfilment, FulfilmentLine, Order, OrderLine
from .extension import ExtensionKey, extension_key
from .fulfilment_rows import fulfilment_rows_create


def holder_for(line: OrderLine) -> str:
    return f"order:{line.order_id}/line:{line.pk}"


def reserve_plan(
    order: Order,
    lines: dict[int, OrderLine],
    plan: Plan,
    snapshot: Snapshot,
    actor: str,
    extend: dict[ExtensionKey, Fulfilment] | None = None,
) -> tuple[list[Fulfilment], dict[int, list[FulfilmentLine]], list[Fulfilment]]:
    """Reserve the plan and create its fulfilments (a part at an `extend` key adds its lines
    to that fulfilment instead); returns the new fulfilments, each touched fulfilment's new
    lines (fulfilment pk -> lines) and the extended fulfilments. Each line holds its own
    reservation, so an extended fulfilment may list an order line twice. Pre-order parts
    reserve inbound lines (before the stock levels: the lock order receipts use too) and
    never extend a fulfilment."""
    requests: list[ReservationRequest] = []
    # Per part, per planned line: [(inbound id or None, quantity)] - a pre-order line taking
    # units from two inbound lines of one date becomes two fulfilment lines.
    pieces: list[list[list[tuple[int | None, int]]]] = []
    inbound_requests: list[InboundReservationRequest] = []
    preorder_lines = _preorder_lines(plan, snapshot)
    for part in plan.fulfilments:
        part_pieces: list[list[tuple[int | None, int]]] = []
        for planned in part.lines:
            line = lines[int(planned.line_id)]
            if part.available_on is None:
                requests.append(
                    ReservationRequest(
                        location_id=part.location_id,
                        product_id=line.product_id,
                        quantity=planned.quantity,
                        holder=holder_for(line),
                    )
                )
                part_pieces.append([(None, planned.quantity)])
                continue
            taken = _take_inbound(preorder_lines, part, planned.sku, planned.quantity)
            part_pieces.append(list(taken))
            inbound_requests.extend(
                InboundReservationRequest(
                    inbound_id=inbound_id,
                    quantity=quantity,
                    holder=holder_for(line),
                    priority=order.priority,
                )
                for inbound_id, quantity in taken
            )
        pieces.append(part_pieces)
    # Reserve first in this step: if it fails nothing else has been written, so the caller
    # can re-plan without a savepoint. The remaining inserts are quick and touch no hot rows.
    inbound_reservations = []
    if inbound_requests:
        point = transaction.savepoint() if requests else None
        inbound_reservations = inbound_reserve(requests=inbound_requests)
        try:
            reservations = stock_reserve(
                requests=requests,
                actor=actor,
                reference=f"order:{order.pk}",
                known_level_ids=snapshot.level_ids,
            )
        except InsufficientStock:
            if point is not None:
                transaction.savepoint_rollback(point)
            raise
    else:
        reservations = stock_reserve(
            requests=requests,
            actor=actor,
            reference=f"order:{order.pk}",
            known_level_ids=snapshot.level_ids,
        )
    extend = extend or {}

    def joins(part: PlannedFulfilment) -> bool:
        return part.available_on is None and extension_key(part) in extend

    created = iter(
        [
            Fulfilment(
                order=order,
                location_id=part.location_id,
                transfer_to_id=part.transfer_to_location_id,
                distance_km=part.distance_km,
                cost=Decimal(str(round(part.cost, 2))),
                promised_date=part.available_on,
                awaiting_stock=part.available_on is not None,
            )
            for part in plan.fulfilments
            if not joins(part)
        ]
    )
    fulfilments: list[Fulfilment] = []
    extended: list[Fulfilment] = []
    fulfilment_lines: list[FulfilmentLine] = []
    # Per touched fulfilment, in plan order (new ones get their keys when written).
    touched: list[tuple[Fulfilment, list[FulfilmentLine]]] = []
    stock_index = inbound_index = 0
    for part, part_pieces in zip(plan.fulfilments, pieces, strict=True):
        if joins(part):
            fulfilment = extend[extension_key(part)]
            extended.append(fulfilment)
        else:
            fulfilment = next(created)
            fulfilments.append(fulfilment)
        planned_lines: list[FulfilmentLine] = []
        touched.append((fulfilment, planned_lines))
        for planned, line_pieces in zip(part.lines, part_pieces, strict=True):
            for inbound_id, quantity in line_pieces:
                fl = FulfilmentLine(
                    fulfilment=fulfilment, order_line_id=int(planned.line_id), quantity=quantity
                )
                if inbound_id is None:
                    fl.reservation = reservations[stock_index]
                    stock_index += 1
                else:
                    fl.inbound_reservation = inbound_reservations[inbound_index]
                    inbound_index += 1
                fulfilment_lines.append(fl)
                planned_lines.append(fl)
    fulfilment_rows_create(fulfilments, fulfilment_lines)
    by_fulfilment = {fulfilment.pk: planned for fulfilment, planned in touched}
    return fulfilments, by_fulfilment, extended


def _preorder_lines(plan: Plan, snapshot: Snapshot) -> dict[tuple[int, object], dict]:
    """(location id, expected date) -> sku -> [inbound id, units still free in this plan]."""
    if not any(part.available_on is not None for part in plan.fulfilments):
        return {}
    out: dict[tuple[int, object], dict] = {}
    for twin in snapshot.inbound:
        assert twin.inbound_at is not None
        out[(twin.inbound_at, twin.available_on)] = {
            sku: [[inbound_id, free] for inbound_id, free in found]
            for sku, found in snapshot.inbound_lines[twin.location_id].items()
        }
    return out


def _take_inbound(
    preorder_lines: dict[tuple[int, object], dict], part: PlannedFulfilment, sku: str, quantity: int
) -> list[tuple[int, int]]:
    """Units of `sku` from the part's inbound lines, earliest line first."""
    found = preorder_lines[(part.location_id, part.available_on)][sku]
    taken: list[tuple[int, int]] = []
    for entry in found:
        if quantity <= 0:
            break
        use = min(entry[1], quantity)
        if use > 0:
            taken.append((entry[0], use))
            entry[1] -= use
            quantity -= use
    if quantity > 0:  # the planner allocated no more than the stand-in held
        raise InsufficientStock(lines=[{"sku": sku, "requested": quantity, "available": 0}])
    return taken
