"""Signals other apps listen to (the orders app retries its waiting room on stock_arrived)."""

from django.dispatch import Signal

# Sent after commit when units became available (receipt, positive adjustment, feed).
stock_arrived = Signal()
