"""The one plan-reserve-retry loop: plan on a snapshot, hold the plan's stock with conditional
updates, and plan again on fresh figures when a concurrent order took the stock (or a daily
capacity slot) in between. Order routing (intake, edits, reroutes, the waiting room) and
checkout holds both go through it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import transaction

from inventory.errors import InsufficientStock
from inventory.models import Location
from routing.planner import Plan
from routing.selectors import ChosenStrategy, Snapshot

from ..selectors import fulfilments_today_by_location

# A concurrent order may take the stock between our snapshot and our reservation; we then
# plan again on fresh figures. Each retry is cheap (a handful of queries).
MAX_ROUTING_ATTEMPTS = 3

Held = TypeVar("Held")


@dataclass
class PlanAttempt(Generic[Held]):
    plan: Plan
    strategy: ChosenStrategy
    snapshot: Snapshot
    held: Held | None = None
    # Every attempt lost the race for the stock: nothing was reserved, whatever the plan says.
    reservation_failed: bool = False
    # `unchanged` recognised the plan as what is already held: nothing was reserved.
    unchanged: bool = False


def plan_reserve_retry(
    *,
    plan: Callable[[], tuple[Plan, ChosenStrategy, Snapshot]],
    reserve: Callable[[Plan, Snapshot], Held],
    require_complete: bool,
    unchanged: Callable[[Plan], bool] | None = None,
    before_reserve: Callable[[], None] | None = None,
) -> PlanAttempt[Held]:
    """Plan, then reserve with `reserve` (which raises InsufficientStock having undone its own
    updates when it loses a race), up to MAX_ROUTING_ATTEMPTS times.

    With `require_complete`, a plan that cannot hold every unit reserves nothing. `unchanged`
    may recognise a plan as the one already in place (a reroute that would change nothing):
    then nothing is reserved. `before_reserve` runs once, before the first reservation.
    Plans using a location with a daily capacity re-count under a lock after reserving and
    roll back to a savepoint when another order took the last slot.
    """
    last: PlanAttempt[Held] | None = None
    prepared = False
    for _attempt in range(MAX_ROUTING_ATTEMPTS):
        planned, chosen, snapshot = plan()
        last = PlanAttempt(plan=planned, strategy=chosen, snapshot=snapshot)
        if not planned.fulfilments or (require_complete and not planned.routable):
            break
        if not prepared and unchanged is not None and unchanged(planned):
            last.unchanged = True
            break
        if not prepared and before_reserve is not None:
            before_reserve()
        prepared = True
        limited = _capacity_limited(planned, snapshot)
        # Only plans using a location with a daily capacity need to undo their inserts.
        savepoint = transaction.savepoint() if limited else None
        try:
            last.held = reserve(planned, snapshot)
        except InsufficientStock:
            last.reservation_failed = True
            continue
        if savepoint is not None and not _capacity_holds(limited):
            # Another order took the last slot since the snapshot: undo and plan again on
            # fresh counts (the rollback also drops the locks taken since the savepoint).
            transaction.savepoint_rollback(savepoint)
            last.held = None
            last.reservation_failed = True
            continue
        last.reservation_failed = False
        break
    assert last is not None
    return last


def _capacity_limited(plan: Plan, snapshot: Snapshot) -> list[int]:
    """The plan's locations that have a daily capacity, in pk order."""
    return sorted(
        {
            part.location_id
            for part in plan.fulfilments
            if (row := snapshot.locations.get(part.location_id)) is not None
            and row.daily_capacity is not None
        }
    )


def _capacity_holds(location_ids: list[int]) -> bool:
    """Whether today's live fulfilments (ours included, just inserted) stay within each
    location's daily capacity, decided under a lock so two orders cannot both take the last
    slot. Locks the locations FOR NO KEY UPDATE in pk order, after the stock levels (the
    order every routing path uses); NO KEY so fulfilment inserts (their foreign key takes
    KEY SHARE) are not blocked. The count is a second statement: it must see what committed
    while we waited for the lock."""
    capacity = dict(
        Location.objects.select_for_update(no_key=True)
        .filter(pk__in=location_ids)
        .order_by("pk")
        .values_list("pk", "daily_capacity")
    )
    used = fulfilments_today_by_location(location_ids=location_ids)
    return all(limit is None or used.get(pk, 0) <= limit for pk, limit in capacity.items())
