"""Order writes, one module per topic; import from here."""

from .edits import order_add_note, order_cancel, order_reroute
from .fulfilments import fulfilment_reject, fulfilment_short_pick, fulfilment_transition
from .holds import hold_create, hold_release, holds_expire
from .intake import LineInput, OrderInput, PlacedOrder, order_create, order_place
from .lines import order_line_cancel, order_line_set_quantity
from .order_edit import (
    DeliveryChange,
    OrderChanges,
    order_change_delivery,
    order_edit,
    order_update_details,
)
from .waiting_room import order_route_waiting, waiting_room_escalate, waiting_room_process

__all__ = [
    "DeliveryChange",
    "OrderChanges",
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
    "order_place",
    "PlacedOrder",
    "order_line_cancel",
    "order_line_set_quantity",
    "order_edit",
    "order_reroute",
    "order_route_waiting",
    "order_update_details",
    "waiting_room_escalate",
    "waiting_room_process",
]
