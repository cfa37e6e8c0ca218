"""Per-location fulfilments of an order, their lines and their declared lifecycle."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from inventory.models import InboundReservation, Location, Reservation

from .order import DeliveryType, Order, OrderLine


class FulfilmentState(models.TextChoices):
    CREATED = "created", "Created"
    ACCEPTED = "accepted", "Accepted"
    PICKING = "picking", "Picking"
    PACKED = "packed", "Packed"
    SHIPPED = "shipped", "Shipped"
    READY_FOR_PICKUP = "ready_for_pickup", "Ready for pickup"
    PICKED_UP = "picked_up", "Picked up"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_FULFILMENT_STATES = (
    FulfilmentState.CREATED,
    FulfilmentState.ACCEPTED,
    FulfilmentState.PICKING,
    FulfilmentState.PACKED,
)
DONE_FULFILMENT_STATES = (FulfilmentState.SHIPPED, FulfilmentState.PICKED_UP)
# Goods have left (or are sitting at the pickup counter): edits of these lines are refused.
HANDED_OVER_STATES = (
    FulfilmentState.SHIPPED,
    FulfilmentState.READY_FOR_PICKUP,
    FulfilmentState.PICKED_UP,
)


def _ships_to_customer(fulfilment: Fulfilment) -> bool:
    return fulfilment.order.delivery_type == DeliveryType.SHIP


def _goes_to_pickup(fulfilment: Fulfilment) -> bool:
    return fulfilment.order.delivery_type == DeliveryType.CLICK_COLLECT


def _goods_arrived(fulfilment: Fulfilment) -> bool:
    """A pre-order's fulfilment is not actionable for the location until its inbound stock
    is received (the receipt converts the reservations and clears `awaiting_stock`)."""
    return not fulfilment.awaiting_stock


class Fulfilment(ConcurrentTransitionMixin, models.Model):
    """What one location picks and sends (or hands over at its counter) for an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments")
    # Indexed by fulfilment_location_state and fulfilment_location_day, which lead with it.
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="fulfilments", db_index=False
    )
    # Click & collect transfer: the goods go to this pickup store first.
    # Indexed only where set (`fulfilment_transfer_to`).
    transfer_to = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = FSMField(
        default=FulfilmentState.CREATED, choices=FulfilmentState.choices, protected=True
    )
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    rejection_reason = models.CharField(max_length=200, blank=True)
    # Pre-orders: the goods come from inbound stock expected on `promised_date` (the date
    # stays for the record once received); `awaiting_stock` until the receipt converts them.
    promised_date = models.DateField(null=True, blank=True)
    awaiting_stock = models.BooleanField(default=False)
    distance_km = models.FloatField(null=True, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order_id", "id"]
        indexes = [
            models.Index(fields=["location", "state"], name="fulfilment_location_state"),
            models.Index(fields=["location", "created_at"], name="fulfilment_location_day"),
            models.Index(
                fields=["transfer_to"],
                condition=Q(transfer_to__isnull=False),
                name="fulfilment_transfer_to",
            ),
            # The order list's search by tracking number (orders.search).
            models.Index(Upper("tracking_number"), "order", name="fulfilment_search_tracking"),
        ]

    def __str__(self) -> str:
        return (
            f"Fulfilment #{self.pk} of order {self.order.external_reference} at "
            f"{self.location.code} ({self.get_state_display().lower()})"
        )

    @property
    def is_pickup(self) -> bool:
        return self.order.delivery_type == DeliveryType.CLICK_COLLECT

    @property
    def source(self) -> str:
        """Where the goods come from: "on_hand" or "inbound" (a pre-order)."""
        return "inbound" if self.promised_date is not None else "on_hand"

    @transition(
        field=state,
        source=FulfilmentState.CREATED,
        target=FulfilmentState.ACCEPTED,
        conditions=[_goods_arrived],
    )
    def accept(self) -> None:
        pass

    @transition(field=state, source=FulfilmentState.ACCEPTED, target=FulfilmentState.PICKING)
    def start_picking(self) -> None:
        pass

    @transition(
        field=state,
        source=[FulfilmentState.ACCEPTED, FulfilmentState.PICKING],
        target=FulfilmentState.PACKED,
    )
    def pack(self) -> None:
        pass

    @transition(
        field=state,
        source=FulfilmentState.PACKED,
        target=FulfilmentState.SHIPPED,
        conditions=[_ships_to_customer],
    )
    def ship(self) -> None:
        """Handed to the carrier (ship-to-address orders)."""

    @transition(
        field=state,
        source=FulfilmentState.PACKED,
        target=FulfilmentState.READY_FOR_PICKUP,
        conditions=[_goes_to_pickup],
    )
    def ready_for_pickup(self) -> None:
        """Waiting at the pickup store's counter (for a transfer: arrived at the store)."""

    @transition(
        field=state, source=FulfilmentState.READY_FOR_PICKUP, target=FulfilmentState.PICKED_UP
    )
    def pick_up(self) -> None:
        pass

    @transition(
        field=state,
        source=[FulfilmentState.CREATED, FulfilmentState.ACCEPTED, FulfilmentState.PICKING],
        target=FulfilmentState.REJECTED,
        conditions=[_goods_arrived],
    )
    def reject(self) -> None:
        pass

    @transition(
        field=state, source=list(ACTIVE_FULFILMENT_STATES), target=FulfilmentState.CANCELLED
    )
    def cancel(self) -> None:
        pass


class FulfilmentLine(models.Model):
    fulfilment = models.ForeignKey(Fulfilment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="fulfilment_lines"
    )
    quantity = models.PositiveIntegerField()
    reservation = models.OneToOneField(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A pre-order line: the units promised from inbound stock (kept after the receipt
    # converted them into `reservation`).
    inbound_reservation = models.OneToOneField(
        InboundReservation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["fulfilment_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="fulfilment_line_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_line.sku}"
