"""Pre-orders after their inbound stock changed: a receipt made them actionable, or a slip,
reduction, cancellation (or a partial receipt that could not cover them) released their
inbound reservations and they are planned again.

Runs inside the inventory service's transaction (the `preorders_changed` signal, connected
in orders/signals.py), so the receipt and the orders' new state commit together: nothing is
converted without its fulfilment knowing, and no pre-order is silently lost. Orders are
handled highest priority, then oldest first; each under its row lock.
"""

from __future__ import annotations

from inventory.models import InboundStock
from inventory.services import PreorderChange

from .. import event_types as et
from ..events import EventRecorder
from ..locks import order_lock
from ..models import ACTIVE_FULFILMENT_STATES, Fulfilment, FulfilmentLine, Order
from .allocation import order_save_changes, unallocated_quantities
from .common import load_order
from .reroute import order_units_reroute


def preorders_apply(*, change: PreorderChange, actor: str) -> None:
    """Record a receipt's conversions on the fulfilments and re-plan displaced pre-orders."""
    reference = InboundStock.objects.values_list("reference", flat=True).get(pk=change.inbound_id)
    touched = set(change.converted) | set(change.displaced)
    order_ids = set(
        FulfilmentLine.objects.filter(inbound_reservation_id__in=touched).values_list(
            "fulfilment__order_id", flat=True
        )
    )
    for converted_id, reservation_id in change.converted.items():
        FulfilmentLine.objects.filter(inbound_reservation_id=converted_id).update(
            reservation_id=reservation_id
        )
    ranked = Order.objects.filter(pk__in=order_ids).order_by("-priority", "pk")
    for order_id in ranked.values_list("pk", flat=True):
        _apply_to_order(order_id, change, reference, actor)


def _apply_to_order(order_id: int, change: PreorderChange, reference: str, actor: str) -> None:
    order = order_lock(order_id=order_id)
    lines, fulfilments = load_order(order)
    events = EventRecorder(order, actor)
    displaced = set(change.displaced)
    affected: list[Fulfilment] = []
    for fulfilment in fulfilments:
        if fulfilment.state not in ACTIVE_FULFILMENT_STATES:
            continue
        its_lines = list(fulfilment.lines.all())
        if any(fl.inbound_reservation_id in displaced for fl in its_lines):
            affected.append(fulfilment)
        elif fulfilment.awaiting_stock and all(fl.reservation_id for fl in its_lines):
            fulfilment.awaiting_stock = False
            fulfilment.save(update_fields=["awaiting_stock", "updated_at"])
            events.add(
                et.FulfilmentStockReceived(
                    fulfilment_id=fulfilment.pk,
                    location=fulfilment.location.code,
                    reference=reference,
                )
            )
    if affected:
        previous = max((f.promised_date for f in affected if f.promised_date), default=None)
        outcome = order_units_reroute(
            order=order,
            lines=lines,
            fulfilments=fulfilments,
            events=events,
            actor=actor,
            trigger=f"inbound_{change.reason}",
            release=affected,
            refuse_incomplete=False,
            keep_unchanged=False,
        )
        new = outcome.fulfilments if outcome is not None else []
        waiting = unallocated_quantities(order, list(lines.values()), fulfilments)
        dates = [f.promised_date for f in new if f.promised_date is not None]
        events.add(
            et.OrderDelayed(
                reason=change.reason,
                reference=reference,
                previous_date=previous.isoformat() if previous else None,
                promised_date=None if waiting else (max(dates).isoformat() if dates else None),
                waiting=sum(waiting.values()),
            )
        )
    order_save_changes(order, lines, fulfilments, events)
