from django.urls import path

from . import payments, views
from .views.feed import EventFeedView
from .views.webhooks import (
    SubscriptionDetailView,
    SubscriptionListCreateView,
    SubscriptionRotateSecretView,
)

urlpatterns = [
    path("orders/", views.OrderListCreateView.as_view(), name="order-list"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<int:pk>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path(
        "orders/<int:pk>/lines/<int:line_number>/cancel/",
        views.OrderLineCancelView.as_view(),
        name="order-line-cancel",
    ),
    path("orders/<int:pk>/events/", views.OrderEventListView.as_view(), name="order-events"),
    path("orders/<int:pk>/payments/", payments.OrderPaymentsView.as_view(), name="order-payments"),
    path(
        "orders/<int:pk>/payments/transactions/",
        payments.PaymentTransactionCreateView.as_view(),
        name="order-payment-transactions",
    ),
    path("orders/<int:pk>/refunds/", payments.RefundCreateView.as_view(), name="order-refunds"),
    path(
        "orders/<int:pk>/refunds/<int:refund_id>/confirm/",
        payments.RefundConfirmView.as_view(),
        name="order-refund-confirm",
    ),
    path("events/", EventFeedView.as_view(), name="event-feed"),
    path(
        "webhooks/subscriptions/",
        SubscriptionListCreateView.as_view(),
        name="webhook-subscription-list",
    ),
    path(
        "webhooks/subscriptions/<int:pk>/",
        SubscriptionDetailView.as_view(),
        name="webhook-subscription-detail",
    ),
    path(
        "webhooks/subscriptions/<int:pk>/rotate-secret/",
        SubscriptionRotateSecretView.as_view(),
        name="webhook-subscription-rotate-secret",
    ),
    path("holds/", views.HoldCreateView.as_view(), name="hold-create"),
    path("holds/<str:token>/", views.HoldDetailView.as_view(), name="hold-detail"),
    path("fulfilments/", views.FulfilmentListView.as_view(), name="fulfilment-list"),
    path("fulfilments/<int:pk>/", views.FulfilmentDetailView.as_view(), name="fulfilment-detail"),
    path(
        "fulfilments/<int:pk>/accept/",
        views.action_view("accept", "Accept: the location will fulfil"),
        name="fulfilment-accept",
    ),
    path(
        "fulfilments/<int:pk>/start-picking/",
        views.action_view("start_picking", "Start picking"),
        name="fulfilment-start-picking",
    ),
    path(
        "fulfilments/<int:pk>/pack/",
        views.action_view("pack", "Packed"),
        name="fulfilment-pack",
    ),
    path(
        "fulfilments/<int:pk>/ready-for-pickup/",
        views.action_view("ready_for_pickup", "Ready for pickup at the store"),
        name="fulfilment-ready-for-pickup",
    ),
    path(
        "fulfilments/<int:pk>/picked-up/",
        views.action_view("picked_up", "Picked up by the customer (consumes the stock)"),
        name="fulfilment-picked-up",
    ),
    path("fulfilments/<int:pk>/ship/", views.FulfilmentShipView.as_view(), name="fulfilment-ship"),
    path(
        "fulfilments/<int:pk>/reject/",
        views.FulfilmentRejectView.as_view(),
        name="fulfilment-reject",
    ),
    path(
        "fulfilments/<int:pk>/short-pick/",
        views.FulfilmentShortPickView.as_view(),
        name="fulfilment-short-pick",
    ),
]
