"""Shared steps for the payment and return tests: a shipped order, its payment, its events."""

from __future__ import annotations

from decimal import Decimal

from orders import services
from orders.models import Fulfilment, Order
from orders.payments.models import Payment


def ship_all(order: Order, *, actor: str = "location") -> None:
    """Accept, pack and ship (or hand over at the counter) every fulfilment of the order."""
    for fulfilment in Fulfilment.objects.filter(order=order).order_by("pk"):
        last = "picked_up" if fulfilment.is_pickup else "ship"
        steps = (
            ["accept", "pack", "ready_for_pickup", "picked_up"]
            if last == "picked_up"
            else [
                "accept",
                "pack",
                "ship",
            ]
        )
        for action in steps:
            services.fulfilment_transition(
                fulfilment_id=fulfilment.pk,
                action=action,
                actor=actor,
                **({"tracking_number": f"TRK-{fulfilment.pk}"} if action == "ship" else {}),
            )


def first_payment(order: Order) -> Payment:
    return Payment.objects.filter(order=order).order_by("pk").first()  # type: ignore[return-value]


def amounts(order: Order) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(authorized, captured, refunded, refund_pending) of the order's first payment."""
    p = first_payment(order)
    return p.authorized, p.captured, p.refunded, p.refund_pending


def event_types(order: Order) -> list[str]:
    return list(order.events.order_by("sequence").values_list("type", flat=True))
