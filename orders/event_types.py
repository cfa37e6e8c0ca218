"""The order event catalogue: one typed, versioned constructor per event type.

Each class below is the one place that says what an event carries; services build events
only through them (`events.add(FulfilmentShipped(...))`), so one type always has one shape.
`public` events are published to the channel (webhooks, the `/api/v1/events/` feed, e-mail
notifications); internal ones (staff notes, escalations, hold bookkeeping) stay in the
order's history and never reach a third party. A change to a public payload that is not
backwards compatible (a field removed or renamed) bumps the class's `version`, which every
published message carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .plain_data import dataclass_data


@dataclass(frozen=True)
class OrderEventData:
    """Base of every event payload. `type`, `version` and `public` are per class."""

    type: ClassVar[str] = ""
    version: ClassVar[int] = 1
    public: ClassVar[bool] = True

    def as_data(self) -> dict[str, Any]:
        """The payload as plain data, copied: `dataclasses.asdict`'s answer, without its
        generic recursion (every order event passes here)."""
        return dataclass_data(self)


EVENT_TYPES: dict[str, type[OrderEventData]] = {}


def register_event_type(cls: type[OrderEventData]) -> type[OrderEventData]:
    """Add a type to the catalogue (apps above orders, e.g. returns, declare theirs too)."""
    assert cls.type and cls.type not in EVENT_TYPES, cls
    EVENT_TYPES[cls.type] = cls
    return cls


_register = register_event_type


def public_event_types() -> list[str]:
    return sorted(t for t, cls in EVENT_TYPES.items() if cls.public)


# --- Order -------------------------------------------------------------------------------


@_register
@dataclass(frozen=True)
class OrderPlaced(OrderEventData):
    """The order was accepted. `lines`: [{line, sku, quantity}]; `total` is a decimal string."""

    type: ClassVar[str] = "order_placed"
    lines: list[dict[str, Any]]
    delivery_type: str
    total: str
    currency: str


@_register
@dataclass(frozen=True)
class OrderWaiting(OrderEventData):
    """Not every unit could be routed: the order waits for stock. `lines`: the short lines
    [{line, sku, missing}]; `reasons`: the planner's reasons."""

    type: ClassVar[str] = "order_waiting"
    lines: list[dict[str, Any]]
    reasons: list[str] = field(default_factory=list)


@_register
@dataclass(frozen=True)
class OrderRouted(OrderEventData):
    """Every unit is held at a location: `fulfilments` is how many, `strategy` which one."""

    type: ClassVar[str] = "order_routed"
    strategy: str
    fulfilments: int


@_register
@dataclass(frozen=True)
class OrderRerouted(OrderEventData):
    """Open lines were routed again. `trigger`: staff, rejection, short_pick,
    address_changed, delivery_changed, quantity_changed; `fulfilments`: ids of the
    fulfilments created; `excluded` / `forced`: location ids a staff reroute named;
    `complete`: false when some units now wait for stock."""

    type: ClassVar[str] = "order_rerouted"
    trigger: str
    fulfilments: list[int]
    complete: bool
    reasons: list[str] = field(default_factory=list)
    excluded: list[int] = field(default_factory=list)
    forced: int | None = None
    reason: str = ""  # why staff rerouted (staff reroutes ask for one)


@_register
@dataclass(frozen=True)
class RerouteUnchanged(OrderEventData):
    """Internal: a staff reroute found the same plan, so every fulfilment stayed as it was.
    `reason`, `excluded`, `forced`: what the staff member asked for."""

    type: ClassVar[str] = "reroute_unchanged"
    public: ClassVar[bool] = False
    reason: str = ""
    excluded: list[int] = field(default_factory=list)
    forced: int | None = None


@_register
@dataclass(frozen=True)
class OrderCompleted(OrderEventData):
    """Everything was shipped or picked up."""

    type: ClassVar[str] = "order_completed"


@_register
@dataclass(frozen=True)
class OrderCancelled(OrderEventData):
    type: ClassVar[str] = "order_cancelled"
    reason: str


@_register
@dataclass(frozen=True)
class OrderEscalated(OrderEventData):
    """Internal: a waiting order passed the channel's escalation time."""

    type: ClassVar[str] = "order_escalated"
    public: ClassVar[bool] = False
    waiting_since: str | None


@_register
@dataclass(frozen=True)
class NoteAdded(OrderEventData):
    """Internal: a staff note."""

    type: ClassVar[str] = "note_added"
    public: ClassVar[bool] = False
    text: str


@_register
@dataclass(frozen=True)
class CheckoutHoldConsumed(OrderEventData):
    """Internal: the checkout hold whose stock the order took over."""

    type: ClassVar[str] = "checkout_hold_consumed"
    public: ClassVar[bool] = False
    hold: str


# --- Edits -------------------------------------------------------------------------------


@_register
@dataclass(frozen=True)
class AddressChanged(OrderEventData):
    """`kind`: shipping or billing; `before` / `after`: the whole address."""

    type: ClassVar[str] = "address_changed"
    kind: str
    before: dict[str, Any]
    after: dict[str, Any]


@_register
@dataclass(frozen=True)
class CustomerChanged(OrderEventData):
    """`before` / `after`: customer_email, customer_name, customer_phone."""

    type: ClassVar[str] = "customer_changed"
    before: dict[str, Any]
    after: dict[str, Any]


@_register
@dataclass(frozen=True)
class DeliveryOptionChanged(OrderEventData):
    """`before` / `after`: {delivery_type, pickup_location (code or null)}."""

    type: ClassVar[str] = "delivery_option_changed"
    before: dict[str, Any]
    after: dict[str, Any]


@_register
@dataclass(frozen=True)
class LineQuantityChanged(OrderEventData):
    type: ClassVar[str] = "line_quantity_changed"
    line: int
    sku: str
    before: int
    after: int


@_register
@dataclass(frozen=True)
class LineCancelled(OrderEventData):
    type: ClassVar[str] = "line_cancelled"
    line: int
    sku: str
    quantity: int
    reason: str


@_register
@dataclass(frozen=True)
class TotalsChanged(OrderEventData):
    """`before` / `after`: {subtotal, total} as decimal strings; `difference` = after - before."""

    type: ClassVar[str] = "totals_changed"
    currency: str
    before: dict[str, str]
    after: dict[str, str]
    difference: str


# --- Fulfilments -------------------------------------------------------------------------


@_register
@dataclass(frozen=True)
class FulfilmentCreated(OrderEventData):
    """A location got lines to fulfil. `transfer_to`: pickup store code for a transfer;
    `lines`: [{line, sku, quantity}]; `trigger`: intake or a reroute trigger."""

    type: ClassVar[str] = "fulfilment_created"
    fulfilment_id: int
    location: str
    transfer_to: str | None
    lines: list[dict[str, Any]]
    trigger: str


@_register
@dataclass(frozen=True)
class FulfilmentExtended(OrderEventData):
    """A fulfilment not yet picked got more units (a line's quantity went up and its
    location had the stock): `lines`: [{line, sku, quantity}] added; `trigger` as above."""

    type: ClassVar[str] = "fulfilment_extended"
    fulfilment_id: int
    location: str
    lines: list[dict[str, Any]]
    trigger: str


@dataclass(frozen=True)
class _FulfilmentStep(OrderEventData):
    fulfilment_id: int
    location: str


@_register
@dataclass(frozen=True)
class FulfilmentAccepted(_FulfilmentStep):
    type: ClassVar[str] = "fulfilment_accepted"


@_register
@dataclass(frozen=True)
class FulfilmentPickingStarted(_FulfilmentStep):
    type: ClassVar[str] = "fulfilment_picking_started"


@_register
@dataclass(frozen=True)
class FulfilmentPacked(_FulfilmentStep):
    type: ClassVar[str] = "fulfilment_packed"


@_register
@dataclass(frozen=True)
class FulfilmentShipped(_FulfilmentStep):
    """Handed to the carrier: `tracking_url` is what a customer clicks (may be empty)."""

    type: ClassVar[str] = "fulfilment_shipped"
    carrier: str
    tracking_number: str
    tracking_url: str


@_register
@dataclass(frozen=True)
class FulfilmentReadyForPickup(_FulfilmentStep):
    type: ClassVar[str] = "fulfilment_ready_for_pickup"


@_register
@dataclass(frozen=True)
class FulfilmentPickedUp(_FulfilmentStep):
    type: ClassVar[str] = "fulfilment_picked_up"


@_register
@dataclass(frozen=True)
class FulfilmentRejected(_FulfilmentStep):
    type: ClassVar[str] = "fulfilment_rejected"
    reason: str


@_register
@dataclass(frozen=True)
class FulfilmentShortPicked(_FulfilmentStep):
    """`missing`: [{line, sku, quantity}] the location could not pick."""

    type: ClassVar[str] = "fulfilment_short_picked"
    missing: list[dict[str, Any]]


@_register
@dataclass(frozen=True)
class FulfilmentCancelled(_FulfilmentStep):
    type: ClassVar[str] = "fulfilment_cancelled"
    reason: str


@_register
@dataclass(frozen=True)
class FulfilmentStockReceived(_FulfilmentStep):
    """A pre-order's inbound stock was received: the fulfilment's units are now reserved on
    hand at `location` and it is actionable (accept, pick, ...). `reference`: the inbound
    line's purchase order or transfer number."""

    type: ClassVar[str] = "fulfilment_stock_received"
    reference: str


@_register
@dataclass(frozen=True)
class OrderDelayed(OrderEventData):
    """Inbound stock a pre-order counted on slipped, shrank or was cancelled, and the order
    was re-planned. `reason`: slipped | reduced | cancelled | received (a partial receipt
    that could not cover it); `promised_date`: the new date (ISO) or null when the order now
    waits for stock; `previous_date`: the date promised before; `waiting`: units with no
    stock now."""

    type: ClassVar[str] = "order_delayed"
    reason: str
    reference: str
    previous_date: str | None
    promised_date: str | None
    waiting: int


# The fulfilment lifecycle action -> the event it writes.
FULFILMENT_STEP_EVENTS: dict[str, type[_FulfilmentStep]] = {
    "accept": FulfilmentAccepted,
    "start_picking": FulfilmentPickingStarted,
    "pack": FulfilmentPacked,
    "ready_for_pickup": FulfilmentReadyForPickup,
    "picked_up": FulfilmentPickedUp,
}


# --- Customer e-mails --------------------------------------------------------------------


@_register
@dataclass(frozen=True)
class NotificationResent(OrderEventData):
    """Internal: staff sent a customer e-mail again. `notification`: its key (see
    orders/notifications/catalogue.py); `delivery_id`: the new delivery."""

    type: ClassVar[str] = "notification_resent"
    public: ClassVar[bool] = False
    notification: str
    to: str
    delivery_id: int
    original_delivery_id: int


# Payment events live in their own module; importing it here registers them with the
# catalogue and keeps `event_types.PaymentCaptured` etc. working for callers.
from .payment_event_types import (  # noqa: E402
    CaptureRequested,  # noqa: F401
    PaymentAuthorized,  # noqa: F401
    PaymentCaptured,  # noqa: F401
    PaymentRefunded,  # noqa: F401
    PaymentVoided,  # noqa: F401
    RefundFailed,  # noqa: F401
    RefundRequested,  # noqa: F401
    RefundSucceeded,  # noqa: F401
    VoidRequested,  # noqa: F401
)
