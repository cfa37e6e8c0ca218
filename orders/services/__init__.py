"""Order writes, one module per topic; import from here."""

from .edits import (
    order_add_note,
    order_cancel,
    order_change_delivery,
    order_lock_stock_for_edits,
    order_reroute,
    order_update_details,
)
from .fulfilments import fulfilment_reject, fulfilment_short_pick, fulfilment_transition
from .holds import hold_create, hold_release, holds_expire
from .intake import LineInput, OrderInput, order_create
from .lines import order_line_cancel, order_line_set_quantity
from .waiting_room import order_route_waiting, waiting_room_escalate, waiting_room_process

__all__ = [
    "LineInput",
    "OrderInput",
    "fulfilment_reject",
    "fulfilment_short_pick",
    "fulfilment_transition",
    "hold_create",
    "hold_release",
    "holds_expire",
    "order_add_note",
    "order_cancel",
    "order_change_delivery",
    "order_create",
    "order_line_cancel",
    "order_line_set_quantity",
    "order_lock_stock_for_edits",
    "order_reroute",
    "order_route_waiting",
    "order_update_details",
    "waiting_room_escalate",
    "waiting_room_process",
]
