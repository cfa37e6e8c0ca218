"""Signals other apps listen to (the orders app retries its waiting room on stock_arrived)."""

from django.dispatch import Signal

# Sent after commit when units became available (receipt, positive adjustment, feed).
stock_arrived = Signal()

# Sent inside the transaction (not on commit) when a receipt, slip, reduction or
# cancellation of an inbound line converted or released pre-order reservations
# (`change`: inventory.services.preorders.PreorderChange; `actor`). The orders app marks
# fulfilments actionable and re-plans displaced pre-orders in the same transaction.
preorders_changed = Signal()

# Sent inside the transaction when inbound stock may have become sellable for pre-orders
# (announced, moved earlier, more expected); `product_ids`. The orders app wakes the waiting
# orders of channels that sell inbound stock (the ledger-based wakes see no movement here).
inbound_announced = Signal()
