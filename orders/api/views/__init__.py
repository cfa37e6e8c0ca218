"""The orders app's API views, one module per resource: orders, holds, fulfilments."""

from .fulfilments import (
    FulfilmentDetailView,
    FulfilmentListView,
    FulfilmentRejectView,
    FulfilmentShipView,
    FulfilmentShortPickView,
    action_view,
)
from .holds import HoldCreateView, HoldDetailView
from .orders import (
    OrderCancelView,
    OrderDetailView,
    OrderEventListView,
    OrderLineCancelView,
    OrderListCreateView,
)

__all__ = [
    "FulfilmentDetailView",
    "FulfilmentListView",
    "FulfilmentRejectView",
    "FulfilmentShipView",
    "FulfilmentShortPickView",
    "HoldCreateView",
    "HoldDetailView",
    "OrderCancelView",
    "OrderDetailView",
    "OrderEventListView",
    "OrderLineCancelView",
    "OrderListCreateView",
    "action_view",
]
