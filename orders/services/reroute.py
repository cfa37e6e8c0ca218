"""The one reroute: give back what some fulfilments hold and route every open unit no live
fulfilment keeps, in one transaction. Staff reroutes, address and delivery changes,
rejections and short picks all call it; a parameter says whether an incomplete plan is
refused (nothing changes) or leaves the rest waiting."""

from __future__ import annotations

from django.db import transaction

from inventory.errors import InsufficientStock

from .. import event_types as et
from ..events import EventRecorder
from ..locks import stock_levels_lock_for_reroute
from ..models import ACTIVE_FULFILMENT_STATES, Fulfilment, Order, OrderLine
from .allocation import RoutingOutcome, allocate, release_fulfilments, unallocated_quantities
from .common import fulfilment_fire


def order_units_reroute(
    *,
    order: Order,
    lines: dict[int, OrderLine],
    fulfilments: list[Fulfilment],
    events: EventRecorder,
    actor: str,
    trigger: str,
    release: list[Fulfilment],
    refuse_incomplete: bool,
    forced_location_id: int | None = None,
    excluded: list[int] | None = None,
    reason: str = "",
    keep_unchanged: bool = True,
) -> RoutingOutcome | None:
    """Release `release` (the active ones are cancelled, rejected ones just give their stock
    back), then route every uncovered open unit; new fulfilments are appended to
    `fulfilments`. Returns None when nothing was uncovered.

    The old reservations are released inside this transaction and the new ones taken in it
    too, so no commit shows the order without its stock: with `refuse_incomplete`, a plan
    that cannot hold every unit raises InsufficientStock and the rollback restores them; without,
    the rest waits. A plan equal to the active fulfilments given up changes nothing: they
    stay (with their state) and their reservations are restored (savepoint).
    `excluded` / `forced_location_id` / `reason` are what a staff reroute named (for its
    event). `keep_unchanged=False` always replaces them (pre-orders whose inbound
    reservations the inventory already released: restoring them would restore nothing).
    The caller holds the order's row lock; this locks the stock levels (released ones, the
    order's SKUs everywhere, the forced location) in pk order before releasing.
    """
    if release:
        stock_levels_lock_for_reroute(
            order=order,
            product_ids=[line.product_id for line in lines.values()],
            releasing=release,
            extra_location_ids=[forced_location_id],
        )
    dissolve = [f for f in release if f.state in ACTIVE_FULFILMENT_STATES]
    keeping = [f for f in fulfilments if f not in dissolve]
    uncovered = unallocated_quantities(order, list(lines.values()), keeping)
    savepoint = transaction.savepoint() if dissolve else None
    release_fulfilments(release, actor=actor, reason=trigger)
    if not uncovered:
        if savepoint is not None:
            transaction.savepoint_commit(savepoint)
        return None

    cancelled: list[Fulfilment] = []

    def cancel_dissolved() -> None:
        for fulfilment in dissolve:
            if fulfilment in cancelled:
                continue
            cancelled.append(fulfilment)
            fulfilment_fire(fulfilment, "cancel")
            fulfilment.save()
            events.add(
                et.FulfilmentCancelled(
                    fulfilment_id=fulfilment.pk, location=fulfilment.location.code, reason=trigger
                )
            )

    outcome = allocate(
        order=order,
        lines=lines,
        quantities=uncovered,
        events=events,
        actor=actor,
        trigger=trigger,
        require_complete=refuse_incomplete,
        forced_location_id=forced_location_id,
        unchanged_from=dissolve if keep_unchanged else None,
        before_reserve=cancel_dissolved,
    )
    if outcome.unchanged:
        assert savepoint is not None
        transaction.savepoint_rollback(savepoint)
        return outcome
    if savepoint is not None:
        transaction.savepoint_commit(savepoint)
    cancel_dissolved()  # when no plan reached the reservation step: nothing held, all waits
    fulfilments.extend(outcome.fulfilments)
    if refuse_incomplete and not outcome.complete:
        short = [
            {"line": lines[int(k)].line_number, "sku": lines[int(k)].sku, "missing": v}
            for k, v in (
                outcome.plan.unallocated or {str(k): v for k, v in uncovered.items()}
            ).items()
        ]
        raise InsufficientStock(
            short,
            "The order cannot be routed this way; nothing was changed.",
            reasons=list(outcome.plan.reasons),
        )
    events.add(
        et.OrderRerouted(
            trigger=trigger,
            fulfilments=[f.pk for f in outcome.fulfilments],
            complete=outcome.complete,
            reasons=list(outcome.plan.reasons),
            excluded=sorted(excluded or ()),
            forced=forced_location_id,
            reason=reason,
        )
    )
    return outcome
