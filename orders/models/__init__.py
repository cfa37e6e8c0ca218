"""Orders, lines, per-location fulfilments, the append-only event log, holds, idempotency.

Lifecycles are declared django-fsm transitions on protected fields; services call them under
the order's row lock (orders.locks), so an order changes one request at a time.
"""

from .fulfilment import (
    ACTIVE_FULFILMENT_STATES,
    DONE_FULFILMENT_STATES,
    HANDED_OVER_STATES,
    Fulfilment,
    FulfilmentLine,
    FulfilmentState,
)
from .order import (
    OPEN_ORDER_STATES,
    DeliveryType,
    Order,
    OrderLine,
    OrderState,
    PaymentStatus,
)
from .records import (
    CheckoutHold,
    IdempotencyRecord,
    IntakeRefusalCount,
    OrderEvent,
    RoutingDecision,
)
from .waiting_room import WaitingRoomCursor, WaitingRoomWake

# Payments live in their own modules (orders/payments/); imported here so Django registers them.
from ..payments.models import Payment, PaymentTransaction, Refund  # isort: skip

__all__ = [
    "ACTIVE_FULFILMENT_STATES",
    "DONE_FULFILMENT_STATES",
    "HANDED_OVER_STATES",
    "OPEN_ORDER_STATES",
    "CheckoutHold",
    "DeliveryType",
    "Fulfilment",
    "FulfilmentLine",
    "FulfilmentState",
    "IdempotencyRecord",
    "IntakeRefusalCount",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderState",
    "Payment",
    "PaymentStatus",
    "PaymentTransaction",
    "Refund",
    "RoutingDecision",
    "WaitingRoomCursor",
    "WaitingRoomWake",
]
