"""Which waiting orders the waiting room tries on its next run ("wakes"), instead of all.

An order is woken when stock for one of its SKUs became available (a receipt, a feed or count,
an adjustment, a release after a cancellation or an expired hold, a lower safety stock), when
it has just entered the waiting room or changed while waiting (`waiting_order_wake`, in the
transaction of that change), and - once every WAITING_ROOM_SWEEP_MINUTES - all of them (a new
day frees capacity, a strategy or a location may have changed).

Stock changes are read from the movement ledger, which inventory writes in the same transaction
as every stock change: nothing can change stock without leaving a row, and inventory knows
nothing of waiting orders. A cursor remembers how far the ledger was read. Movement ids are
allocated before their transactions commit, so a movement may become visible after a later one
was read: the cursor keeps the ids of the last SETTLE as a window, remembers how many
movements it saw in it, and reads the window again only when that number grew (a late commit).
A transaction longer than SETTLE is caught by the next sweep.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from inventory.models import Product, StockMovement

from .models import Order, OrderState, WaitingRoomCursor, WaitingRoomWake

SETTLE = timedelta(minutes=5)


def waiting_orders_wake(*, now: datetime | None = None) -> int:
    """Mark the waiting orders worth trying (see the module docstring); returns how many
    were marked now. Locks the cursor row for the duration (one waker at a time)."""
    now = now or timezone.now()
    with transaction.atomic():
        cursor = _cursor_locked()
        waiting = Order.objects.filter(state=OrderState.WAITING)
        sweep_every = timedelta(minutes=settings.WAITING_ROOM_SWEEP_MINUTES)
        if cursor.swept_at is None or now - cursor.swept_at >= sweep_every:
            candidates = waiting
            cursor.swept_at = now
        else:
            window = StockMovement.objects.filter(
                pk__gt=cursor.movement_id, pk__lte=cursor.seen_id
            ).count()
            # Re-read the window only if something in it committed after the last run.
            start = cursor.movement_id if window > cursor.seen_count else cursor.seen_id
            gained = (
                StockMovement.objects.filter(pk__gt=start)
                .annotate(gain=F("on_hand_delta") - F("reserved_delta") - F("safety_stock_delta"))
                .filter(gain__gt=0)
                .values("stock_level__product_id")
            )
            skus = Product.objects.filter(pk__in=gained).values("sku")
            candidates = waiting.filter(lines__sku__in=skus)
        order_ids = set(candidates.values_list("pk", flat=True))
        already = set(
            WaitingRoomWake.objects.filter(order_id__in=order_ids).values_list(
                "order_id", flat=True
            )
        )
        WaitingRoomWake.objects.bulk_create(
            [WaitingRoomWake(order_id=pk) for pk in sorted(order_ids - already)],
            ignore_conflicts=True,
        )
        ledger = StockMovement.objects.filter(pk__gt=cursor.movement_id)
        seen = ledger.aggregate(last=Max("pk"))["last"]
        if seen is not None:
            settled = ledger.filter(created_at__lt=now - SETTLE).aggregate(last=Max("pk"))["last"]
            cursor.movement_id = max(settled or 0, cursor.movement_id)
            cursor.seen_id = seen
            cursor.seen_count = StockMovement.objects.filter(
                pk__gt=cursor.movement_id, pk__lte=seen
            ).count()
        cursor.run_at = now
        cursor.save()
        return len(order_ids - already)


def _cursor_locked() -> WaitingRoomCursor:
    cursor = WaitingRoomCursor.objects.select_for_update().filter(pk=1).first()
    if cursor is not None:
        return cursor
    # First run: start at the end of the ledger; the first sweep tries every waiting order.
    last = StockMovement.objects.aggregate(last=Max("pk"))["last"] or 0
    WaitingRoomCursor.objects.bulk_create(
        [WaitingRoomCursor(pk=1, movement_id=last, seen_id=last)], ignore_conflicts=True
    )
    return WaitingRoomCursor.objects.select_for_update().get(pk=1)


def waiting_order_wake(*, order_id: int) -> None:
    """Have the next run try this waiting order (it has just started waiting, or changed while
    waiting). Call it inside the transaction that made the change."""
    WaitingRoomWake.objects.bulk_create([WaitingRoomWake(order_id=order_id)], ignore_conflicts=True)
