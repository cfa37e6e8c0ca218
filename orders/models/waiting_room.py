"""The waiting room's bookkeeping: which waiting orders to try next, and how far it has read
the stock ledger (orders/waiting_wake.py)."""

from __future__ import annotations

from django.db import models

from .order import Order


class WaitingRoomWake(models.Model):
    """A waiting order the next waiting-room run tries (stock for one of its SKUs arrived, it
    just started waiting, or a sweep). The run deletes it in the transaction that tries."""

    order = models.OneToOneField(
        Order, primary_key=True, on_delete=models.CASCADE, related_name="waiting_room_wake"
    )
    woken_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Wake order {self.order_id}"


class WaitingRoomCursor(models.Model):
    """One row: how far the waiting room has read the stock ledger (orders/waiting_wake.py),
    its last run, its last sweep over every waiting order."""

    movement_id = models.BigIntegerField(default=0, help_text="Every movement up to it is read.")
    seen_id = models.BigIntegerField(default=0, help_text="The last movement read.")
    seen_count = models.PositiveIntegerField(
        default=0, help_text="Movements seen after movement_id up to seen_id."
    )
    run_at = models.DateTimeField(null=True, blank=True)
    swept_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Waiting room read the ledger to movement {self.movement_id}"
