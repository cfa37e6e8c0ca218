"""Whether an edit of an order is allowed now, and why not: one function per action.

The services call them and raise the verdict's error (`verdict.require()`); the staff console
calls the same functions to show each action disabled with the verdict's reason. One rule, so
the page never offers what the service would refuse, nor hides what it would allow.

Pure functions over rows the caller already holds (the order, its lines, its fulfilments with
their lines): no queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from oms.errors import OMSError

from .errors import AlreadyHandedOver, InvalidQuantity, OrderClosed
from .models import (
    DONE_FULFILMENT_STATES,
    HANDED_OVER_STATES,
    DeliveryType,
    Fulfilment,
    Order,
    OrderLine,
    OrderState,
)


@dataclass(frozen=True)
class Verdict:
    """`allowed`, or the reason (for people) and the error the service raises."""

    allowed: bool
    reason: str = ""
    error: OMSError | None = None

    def require(self) -> None:
        if not self.allowed:
            assert self.error is not None
            raise self.error

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Verdict(True)


def _refused(error: OMSError) -> Verdict:
    return Verdict(False, error.message, error)


def _handed_over(fulfilments: Iterable[Fulfilment]) -> list[Fulfilment]:
    return [f for f in fulfilments if f.state in HANDED_OVER_STATES]


def handed_over_units(line: OrderLine, fulfilments: Iterable[Fulfilment]) -> int:
    """Units of `line` shipped, picked up or waiting at the pickup counter."""
    return sum(
        fl.quantity
        for f in _handed_over(fulfilments)
        for fl in f.lines.all()
        if fl.order_line_id == line.pk
    )


def shipped_units(line: OrderLine, fulfilments: Iterable[Fulfilment]) -> int:
    """Units of `line` that reached the customer (shipped or picked up)."""
    return sum(
        fl.quantity
        for f in fulfilments
        if f.state in DONE_FULFILMENT_STATES
        for fl in f.lines.all()
        if fl.order_line_id == line.pk
    )


def order_open_rule(*, order: Order) -> Verdict:
    """Every edit: a completed or cancelled order is closed."""
    if order.state == OrderState.CANCELLED:
        return _refused(
            OrderClosed(
                "The order is cancelled: nothing about it can change any more.",
                details={"state": order.state},
            )
        )
    if order.state == OrderState.COMPLETED:
        return _refused(
            OrderClosed(
                "The order is completed (everything shipped or picked up): nothing about it "
                "can change any more; a return is the way back.",
                details={"state": order.state},
            )
        )
    return ALLOWED


def order_address_rule(*, order: Order, fulfilments: Iterable[Fulfilment]) -> Verdict:
    """A new shipping address: not once a parcel left for the old one."""
    if not (verdict := order_open_rule(order=order)):
        return verdict
    if order.delivery_type == DeliveryType.SHIP and _handed_over(fulfilments):
        return _refused(
            AlreadyHandedOver(
                "Part of the order has shipped: the shipping address can no longer change "
                "(the customer's name, e-mail and phone still can)."
            )
        )
    return ALLOWED


def order_delivery_rule(*, order: Order, fulfilments: Iterable[Fulfilment]) -> Verdict:
    """Switching ship <-> click & collect reroutes everything: not after a handover."""
    if not (verdict := order_open_rule(order=order)):
        return verdict
    if _handed_over(fulfilments):
        return _refused(
            AlreadyHandedOver(
                "Part of the order has shipped or is at the pickup counter: the delivery "
                "option can no longer change."
            )
        )
    return ALLOWED


def order_cancel_rule(*, order: Order, fulfilments: Iterable[Fulfilment]) -> Verdict:
    """Cancelling the whole order: not once anything was handed over (cancel lines)."""
    if not (verdict := order_open_rule(order=order)):
        return verdict
    if _handed_over(fulfilments):
        return _refused(
            AlreadyHandedOver(
                "Part of the order has shipped: cancel the lines that have not shipped instead."
            )
        )
    return ALLOWED


def order_reroute_rule(*, order: Order, fulfilments: Iterable[Fulfilment]) -> Verdict:
    """A staff reroute: any open order (units already handed over stay where they are)."""
    return order_open_rule(order=order)


def line_cancel_rule(
    *,
    order: Order,
    line: OrderLine,
    fulfilments: Iterable[Fulfilment],
    units: int | None = None,
) -> Verdict:
    """Cancelling `units` of `line` (by default: whatever is still cancellable)."""
    if not (verdict := order_open_rule(order=order)):
        return verdict
    fulfilments = list(fulfilments)
    if line.open_quantity == 0:
        return _refused(
            InvalidQuantity(
                "Every unit of this line is already cancelled.",
                details={"quantity": units or 0, "open": 0},
            )
        )
    cancellable = line.open_quantity - handed_over_units(line, fulfilments)
    if units is not None and (units <= 0 or units > line.open_quantity):
        return _refused(
            InvalidQuantity(
                f"Between 1 and {line.open_quantity} unit(s) of this line can be cancelled.",
                details={"quantity": units, "open": line.open_quantity},
            )
        )
    if cancellable <= 0 or (units is not None and units > cancellable):
        shipped = line.open_quantity - cancellable
        text = (
            "Every unit of this line has shipped or is at the pickup counter."
            if cancellable <= 0
            else f"{shipped} unit(s) of this line have shipped or are at the pickup counter; "
            f"only {cancellable} can be cancelled."
        )
        return _refused(
            AlreadyHandedOver(
                text, details={"line": line.line_number, "cancellable": max(cancellable, 0)}
            )
        )
    return ALLOWED


def line_quantity_rule(
    *,
    order: Order,
    line: OrderLine,
    fulfilments: Iterable[Fulfilment],
    quantity: int | None = None,
) -> Verdict:
    """Setting a line's open quantity: fewer units than have been handed over is impossible."""
    if not (verdict := order_open_rule(order=order)):
        return verdict
    if quantity is not None and (quantity < 0 or quantity > 100_000):
        return _refused(InvalidQuantity(details={"quantity": quantity}))
    if quantity is not None and quantity < line.open_quantity:
        return line_cancel_rule(
            order=order, line=line, fulfilments=fulfilments, units=line.open_quantity - quantity
        )
    return ALLOWED
