"""Giving back the stock an order's fulfilments hold (reroutes, cancellations)."""

from __future__ import annotations

from inventory.services import inbound_reservations_release, stock_release

from ..models import Fulfilment


def release_fulfilment(fulfilment: Fulfilment, *, actor: str, reason: str) -> None:
    """Give back every unit a fulfilment still holds (its lines stay, for the history)."""
    release_fulfilments([fulfilment], actor=actor, reason=reason)


def release_fulfilments(fulfilments: list[Fulfilment], *, actor: str, reason: str) -> None:
    """Give back every unit these fulfilments (of one order) still hold, in one release.

    One call locks all their stock levels in pk order. Releasing fulfilment by fulfilment
    would lock them in fulfilment order, and an order split over several locations could
    then deadlock with a concurrent order reserving the same levels.
    """
    lines = [fl for f in fulfilments for fl in f.lines.all()]
    promised = [fl.inbound_reservation_id for fl in lines if fl.inbound_reservation_id]
    if promised:  # pre-orders: inbound lines before stock levels (the lock order)
        inbound_reservations_release(reservation_ids=promised)
    reservation_ids = [fl.reservation_id for fl in lines if fl.reservation_id]
    if not reservation_ids:
        return
    reference = f"order:{fulfilments[0].order_id}"
    if len(fulfilments) == 1:
        reference += f"/fulfilment:{fulfilments[0].pk}"
    stock_release(reservation_ids=reservation_ids, actor=actor, reason=reason, reference=reference)
