"""One edit of an order (the API's PATCH, the staff forms): any mix of customer, addresses,
delivery option and line quantities, applied under one lock as one change: one version, one
totals event, and all or nothing (a refused part raises and the transaction rolls back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ..errors import OrderLineNotFound
from ..events import EventRecorder
from ..locks import stock_levels_lock_for_reroute
from ..models import Order
from .allocation import order_save_changes
from .common import load_order
from .edits import delivery_apply, details_apply, order_lock_for_edit, reroutable
from .lines import line_edits_settle, line_quantity_apply


@dataclass(frozen=True)
class DeliveryChange:
    delivery_type: str
    pickup_location_code: str | None = None
    shipping_address: dict[str, Any] | None = None


@dataclass(frozen=True)
class OrderChanges:
    """What one edit changes; None / empty means "leave as it is"."""

    customer: dict[str, str] | None = None
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    delivery: DeliveryChange | None = None
    # (line number, new open quantity), applied in this order; 0 cancels the line's open units.
    line_quantities: tuple[tuple[int, int], ...] = ()

    @property
    def stock_changes(self) -> int:
        """How many parts may release or reserve stock."""
        return (
            len(self.line_quantities)
            + (self.delivery is not None)
            + (self.shipping_address is not None)
        )


def order_edit(
    *,
    order_id: int,
    actor: str,
    expected_version: int | None,
    changes: OrderChanges,
    channel_id: int | None = None,
) -> Order:
    """Apply `changes` to the order as one edit. Details first, then the delivery option,
    then the lines; the totals are recomputed once at the end. Nothing changed: the order is
    returned as it was (same version). Locks the order, then (when more than one part may
    touch stock) every stock level the parts may release or reserve, in pk order: each part
    alone releases before it reserves, two in a row would lock levels out of pk order."""
    with transaction.atomic():
        order = order_lock_for_edit(
            order_id=order_id, channel_id=channel_id, expected_version=expected_version
        )
        lines, fulfilments = load_order(order)
        if changes.stock_changes > 1:
            stock_levels_lock_for_reroute(
                order=order,
                product_ids=[line.product_id for line in lines.values()],
                releasing=reroutable(fulfilments),
            )
        events = EventRecorder(order, actor)
        if (
            changes.customer
            or changes.shipping_address is not None
            or changes.billing_address is not None
        ):
            details_apply(
                order,
                lines,
                fulfilments,
                events,
                actor,
                shipping_address=changes.shipping_address,
                billing_address=changes.billing_address,
                customer=changes.customer,
            )
        if changes.delivery is not None:
            delivery_apply(
                order,
                lines,
                fulfilments,
                events,
                actor,
                delivery_type=changes.delivery.delivery_type,
                pickup_location_code=changes.delivery.pickup_location_code,
                shipping_address=changes.delivery.shipping_address,
            )
        lines_changed = False
        for line_number, quantity in changes.line_quantities:
            line = next((ln for ln in lines.values() if ln.line_number == line_number), None)
            if line is None:
                raise OrderLineNotFound(details={"line_number": line_number})
            if line_quantity_apply(
                order, lines, fulfilments, events, actor, line=line, quantity=quantity
            ):
                lines_changed = True
                # Cancelling units rewrote fulfilment lines in the database.
                lines, fulfilments = load_order(order)
        if lines_changed:
            line_edits_settle(order, lines, fulfilments, events)
        if not events.pending:
            return order
        return order_save_changes(order, lines, fulfilments, events)


def order_update_details(
    *,
    order_id: int,
    actor: str,
    expected_version: int | None,
    channel_id: int | None = None,
    shipping_address: dict[str, Any] | None = None,
    billing_address: dict[str, Any] | None = None,
    customer: dict[str, str] | None = None,
) -> Order:
    """Change addresses and customer details (an `order_edit` with just those parts)."""
    return order_edit(
        order_id=order_id,
        actor=actor,
        expected_version=expected_version,
        channel_id=channel_id,
        changes=OrderChanges(
            customer=customer, shipping_address=shipping_address, billing_address=billing_address
        ),
    )


def order_change_delivery(
    *,
    order_id: int,
    actor: str,
    expected_version: int | None,
    delivery_type: str,
    pickup_location_code: str | None = None,
    shipping_address: dict[str, Any] | None = None,
    channel_id: int | None = None,
) -> Order:
    """Switch ship <-> click & collect (an `order_edit` with just the delivery option)."""
    return order_edit(
        order_id=order_id,
        actor=actor,
        expected_version=expected_version,
        channel_id=channel_id,
        changes=OrderChanges(
            delivery=DeliveryChange(
                delivery_type=delivery_type,
                pickup_location_code=pickup_location_code,
                shipping_address=shipping_address,
            )
        ),
    )
