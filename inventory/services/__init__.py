"""Inventory writes. Every change of stock is a conditional update plus a ledger movement.

One module per topic: `reservations` (reserve, release, consume, reduce), `adjustments`
(on hand and safety stock by hand), `feeds` (batches from a location's system), `inbound`
(announced deliveries, their receipt, slips), `preorders` (inbound stock promised to
orders), `levels` (bounds and shared plumbing). The public
services are re-exported here, so callers write `from inventory.services import stock_reserve`.
"""

from .adjustments import stock_adjust, stock_set_safety
from .feeds import StockFeedResult, StockUpdate, stock_feed_apply
from .inbound import (
    inbound_cancel,
    inbound_create,
    inbound_expected_window,
    inbound_receive,
    inbound_update,
)
from .levels import MAX_CLOCK_SKEW, MAX_QUANTITY
from .preorders import (
    InboundReservationRequest,
    PreorderChange,
    inbound_reservation_reduce,
    inbound_reservations_release,
    inbound_reserve,
)
from .reservations import (
    ReservationRequest,
    stock_consume,
    stock_release,
    stock_reservation_reduce,
    stock_reserve,
)

__all__ = [
    "MAX_CLOCK_SKEW",
    "MAX_QUANTITY",
    "InboundReservationRequest",
    "PreorderChange",
    "ReservationRequest",
    "StockFeedResult",
    "StockUpdate",
    "inbound_cancel",
    "inbound_create",
    "inbound_expected_window",
    "inbound_receive",
    "inbound_reservation_reduce",
    "inbound_reservations_release",
    "inbound_reserve",
    "inbound_update",
    "stock_adjust",
    "stock_consume",
    "stock_feed_apply",
    "stock_release",
    "stock_reservation_reduce",
    "stock_reserve",
    "stock_set_safety",
]
