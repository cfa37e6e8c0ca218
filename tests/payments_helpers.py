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
                **(
                    {"carrier": "DHL", "tracking_number": f"TRK-{fulfilment.pk}"}
                    if action == "ship"
                    else {}
                ),
            )


def first_payment(order: Order) -> Payment:
    return Payment.objects.filter(order=order).order_by("pk").first()  # type: ignore[return-value]


def amounts(order: Order) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(authorized, captured, refunded, refund_pending) of the order's first payment."""
    p = first_payment(order)
    return p.authorized, p.captured, p.refunded, p.refund_pending


def event_types(order: Order) -> list[str]:
    return list(order.events.order_by("sequence").values_list("type", flat=True))


# --- Returns ---


def reasons() -> None:
    """The default reason list (a data migration adds it; flushing tests remove it)."""
    from returns.models import ReturnReason

    for code in ("changed_mind", "damaged", "wrong_size"):
        ReturnReason.objects.get_or_create(code=code, defaults={"label": code})


def returns_network(channel):  # type: ignore[no-untyped-def]
    """order_network with stock in Berlin and a store that accepts returns."""
    from tests.factories import order_network, stock

    net = order_network(channel)
    net.store.accepts_returns = True
    net.store.save()
    stock(net.berlin, net.shirt, 10)
    stock(net.berlin, net.mug, 10)
    reasons()
    return net


def shipped_order(net, *lines, **kw):  # type: ignore[no-untyped-def]
    """A paid ship-to-address order, shipped from Berlin."""
    from tests.factories import place_order

    order = place_order(net.channel, *lines, payment_status=kw.pop("payment_status", "paid"), **kw)
    ship_all(order)
    return order
