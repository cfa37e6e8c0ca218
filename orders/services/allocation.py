"""Routing an order's unallocated quantities and holding the stock for the plan.

Shared by intake, rejections, short picks, staff edits and the waiting room, so all of them
route the same way: snapshot -> pure planner -> conditional reservations -> fulfilments.
Callers hold the order's row lock (or own a brand-new order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from routing.planner import Destination, Plan, PlanLine, RoutingRequest, plan_order
from routing.selectors import (
    ChosenStrategy,
    Snapshot,
    routing_snapshot,
    snapshot_with_inbound,
    strategy_for_context,
)

from .. import event_types as et
from ..events import EventRecorder
from ..models import (
    ACTIVE_FULFILMENT_STATES,
    DONE_FULFILMENT_STATES,
    Fulfilment,
    FulfilmentLine,
    FulfilmentState,
    Order,
    OrderLine,
    OrderState,
    RoutingDecision,
)
from ..selectors import fulfilments_today_by_location
from ..waiting_wake import waiting_order_wake
from .extension import ExtensionKey, preferred_plan
from .order_state import sync_order_state
from .plan_reserve import plan_reserve_retry
from .release import release_fulfilment, release_fulfilments  # noqa: F401  (imported from here)
from .reserve_plan import holder_for as holder_for  # callers name holders through here
from .reserve_plan import reserve_plan

# States whose lines still hold (or have consumed) stock for the order.
ALLOCATING_STATES = (
    *ACTIVE_FULFILMENT_STATES,
    FulfilmentState.READY_FOR_PICKUP,
    *DONE_FULFILMENT_STATES,
)


def unallocated_quantities(
    order: Order, lines: list[OrderLine], fulfilments: list[Fulfilment]
) -> dict[int, int]:
    """order line id -> open quantity no live fulfilment covers."""
    covered: dict[int, int] = defaultdict(int)
    for fulfilment in fulfilments:
        if fulfilment.state in ALLOCATING_STATES:
            for fl in fulfilment.lines.all():
                covered[fl.order_line_id] += fl.quantity
    return {
        line.pk: line.open_quantity - covered[line.pk]
        for line in lines
        if line.open_quantity - covered[line.pk] > 0
    }


@dataclass
class RoutingOutcome:
    plan: Plan
    strategy: ChosenStrategy
    fulfilments: list[Fulfilment]
    snapshot: Snapshot
    # Every attempt lost the race for the stock: nothing was reserved, whatever the plan says.
    reservation_failed: bool = False
    # A reroute's plan equal to what it gives up: nothing was reserved or recorded.
    unchanged: bool = False
    # The lines each new fulfilment (by pk) holds, as created (for answering without a read).
    fulfilment_lines: dict[int, list[FulfilmentLine]] = field(default_factory=dict)
    # Existing fulfilments that took some of the units (their new lines: `fulfilment_lines`).
    extended: list[Fulfilment] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.plan.routable and not self.reservation_failed


def _routing_request(
    order: Order, lines: dict[int, OrderLine], quantities: dict[int, int]
) -> RoutingRequest:
    return RoutingRequest(
        lines=tuple(
            PlanLine(
                line_id=str(line_id),
                sku=lines[line_id].sku,
                quantity=qty,
                unit_price=Decimal(lines[line_id].unit_price),
            )
            for line_id, qty in sorted(quantities.items())
        ),
        destination=Destination(
            country=order.shipping_country,
            latitude=order.shipping_latitude,
            longitude=order.shipping_longitude,
        ),
        delivery_type=order.delivery_type,
        pickup_location_id=order.pickup_location_id,
        channel_id=order.channel_id,
        excluded_location_ids=frozenset(order.excluded_location_ids or ()),
    )


def plan_quantities(
    *,
    order: Order,
    lines: dict[int, OrderLine],
    quantities: dict[int, int],
    forced_location_id: int | None = None,
    extend: dict[ExtensionKey, Fulfilment] | None = None,
    give_back: Mapping[int, Mapping[str, int]] | None = None,
) -> tuple[Plan, ChosenStrategy, Snapshot]:
    """Plan (without reserving) the given quantities of the order's lines; with `extend`,
    a plan that only adds to those fulfilments comes first (orders.services.extension).
    `give_back` (location id -> sku -> units) counts as available too: what a reroute's
    preview would release first."""
    chosen = strategy_for_context(
        channel=order.channel, country=order.shipping_country, delivery_type=order.delivery_type
    )
    extra = [pk for pk in (order.pickup_location_id, forced_location_id) if pk]
    extra += [key[0] for key in extend or {}]
    snapshot = routing_snapshot(
        skus=[lines[pk].sku for pk in quantities],
        channel=order.channel,
        capacity_used=fulfilments_today_by_location,
        extra_location_ids=extra,
        product_ids={lines[pk].sku: lines[pk].product_id for pk in quantities},
        with_inbound=False,
    )
    if give_back:
        snapshot = replace(
            snapshot,
            candidates=[
                replace(c, atp=_plus(c.atp, give_back[c.location_id]))
                if c.location_id in give_back
                else c
                for c in snapshot.candidates
            ],
        )
    request = _routing_request(order, lines, quantities)
    if forced_location_id is not None:
        request = replace(request, forced_location_id=forced_location_id)
    elif extend:
        preferred = preferred_plan(request, snapshot.candidates, chosen.config, extend)
        if preferred is not None:
            return preferred, chosen, snapshot
    # Routing an order always stores its decision log: plan with the explanation at once.
    plan = plan_order(request, snapshot.candidates, chosen.config, explained=True)
    if not plan.routable and order.channel.sell_inbound and forced_location_id is None:
        # Pre-orders: only now the inbound stand-ins (one query); the planner prefers on
        # hand anyway, so an order stock on hand covers never pays for them.
        snapshot = snapshot_with_inbound(snapshot, channel=order.channel)
        if snapshot.inbound:
            plan = plan_order(
                request, snapshot.candidates, chosen.config, snapshot.inbound, explained=True
            )
    return plan, chosen, snapshot


def _plus(atp: Mapping[str, int], extra: Mapping[str, int]) -> dict[str, int]:
    return {sku: atp.get(sku, 0) + extra.get(sku, 0) for sku in {*atp, *extra}}


def allocate(
    *,
    order: Order,
    lines: dict[int, OrderLine],
    quantities: dict[int, int],
    events: EventRecorder,
    actor: str,
    trigger: str,
    require_complete: bool,
    forced_location_id: int | None = None,
    unchanged_from: list[Fulfilment] | None = None,
    before_reserve: Callable[[], None] | None = None,
    extend: dict[ExtensionKey, Fulfilment] | None = None,
) -> RoutingOutcome:
    """Route `quantities` (order line id -> units), reserve the plan, create fulfilments.

    With `require_complete`, a plan that cannot hold every unit reserves nothing and returns
    (the caller decides: refuse or wait). Otherwise what can be held is held.
    Reservations are conditional updates; losing a race to another order re-plans on fresh
    stock figures (plan_reserve_retry). A plan equal to `unchanged_from` (the fulfilments a
    reroute gives up) reserves and records nothing: the outcome says `unchanged`.
    `extend` (location, transfer target -> fulfilment not yet picked): parts planned there
    join that fulfilment instead of creating another (`RoutingOutcome.extended`).
    """
    attempt = plan_reserve_retry(
        plan=lambda: plan_quantities(
            order=order,
            lines=lines,
            quantities=quantities,
            forced_location_id=forced_location_id,
            extend=extend,
        ),
        reserve=lambda plan, snapshot: reserve_plan(order, lines, plan, snapshot, actor, extend),
        require_complete=require_complete,
        unchanged=(
            (lambda plan: plan_matches_fulfilments(plan, unchanged_from))
            if unchanged_from
            else None
        ),
        before_reserve=before_reserve,
    )
    fulfilments, fulfilment_lines, extended = attempt.held or ([], {}, [])
    last = RoutingOutcome(
        plan=attempt.plan,
        strategy=attempt.strategy,
        fulfilments=fulfilments,
        fulfilment_lines=fulfilment_lines,
        extended=extended,
        snapshot=attempt.snapshot,
        reservation_failed=attempt.reservation_failed,
        unchanged=attempt.unchanged,
    )
    if last.unchanged:
        return last
    # Written with the events when the service flushes them (one statement on PostgreSQL).
    events.add_decision(
        RoutingDecision(
            order=order,
            trigger=trigger,
            strategy_version=last.strategy.version,
            routable=last.complete,
            log=last.plan.decision_log,
        )
    )
    for fulfilment in last.extended:
        events.add(
            et.FulfilmentExtended(
                fulfilment_id=fulfilment.pk,
                location=snapshot_code(last.snapshot, fulfilment.location_id) or "",
                lines=_line_items(lines, last.fulfilment_lines[fulfilment.pk]),
                trigger=trigger,
            )
        )
    if last.fulfilments:
        order.strategy_version = last.strategy.version
        order.strategy_name = f"{last.strategy.config.name} v{last.strategy.config.version}"
        for fulfilment in last.fulfilments:
            events.add(
                et.FulfilmentCreated(
                    fulfilment_id=fulfilment.pk,
                    location=snapshot_code(last.snapshot, fulfilment.location_id) or "",
                    transfer_to=(
                        snapshot_code(last.snapshot, fulfilment.transfer_to_id)
                        if fulfilment.transfer_to_id
                        else None
                    ),
                    lines=_line_items(lines, last.fulfilment_lines[fulfilment.pk]),
                    trigger=trigger,
                )
            )
    return last


def _line_items(lines: dict[int, OrderLine], created: list[FulfilmentLine]) -> list[dict]:
    return [
        {
            "line": lines[fl.order_line_id].line_number,
            "sku": lines[fl.order_line_id].sku,
            "quantity": fl.quantity,
        }
        for fl in created
    ]


def plan_matches_fulfilments(plan: Plan, current: list[Fulfilment]) -> bool:
    """Whether the plan sends exactly what `current` holds from exactly the same places."""

    def shape(
        location_id: int, transfer_to: int | None, on: object, lines: list[tuple[int, int]]
    ) -> tuple:
        return (location_id, transfer_to, str(on), tuple(sorted(lines)))

    planned = sorted(
        shape(
            part.location_id,
            part.transfer_to_location_id,
            part.available_on,
            [(int(pl.line_id), pl.quantity) for pl in part.lines],
        )
        for part in plan.fulfilments
    )
    held = sorted(
        shape(
            f.location_id,
            f.transfer_to_id,
            f.promised_date,
            [(fl.order_line_id, fl.quantity) for fl in f.lines.all()],
        )
        for f in current
    )
    return plan.routable and planned == held


def snapshot_code(snapshot: Snapshot, location_id: int | None) -> str | None:
    if location_id is None:
        return None
    loc = snapshot.locations.get(location_id)
    return loc.code if loc else str(location_id)


def order_save_changes(
    order: Order, lines: dict[int, OrderLine], fulfilments: list[Fulfilment], events: EventRecorder
) -> Order:
    """End of every change to an existing order: fire the order transition its fulfilments
    call for, bump the version (the ETag), save, and write the collected events."""
    unallocated = unallocated_quantities(order, list(lines.values()), fulfilments)
    sync_order_state(order, lines, fulfilments, unallocated, events)
    order.version += 1
    order.save()
    events.flush()
    if order.state == OrderState.WAITING:  # it may be routable now: try it on the next run
        waiting_order_wake(order_id=order.pk)
    return order
