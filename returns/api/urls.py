from django.urls import path

from . import views

urlpatterns = [
    path("returns/", views.ReturnListCreateView.as_view(), name="return-list"),
    path("returns/reasons/", views.ReturnReasonListView.as_view(), name="return-reasons"),
    path("returns/<int:pk>/", views.ReturnDetailView.as_view(), name="return-detail"),
    path("returns/<int:pk>/receive/", views.ReturnReceiveView.as_view(), name="return-receive"),
    path("returns/<int:pk>/inspect/", views.ReturnInspectView.as_view(), name="return-inspect"),
    path(
        "returns/<int:pk>/in-transit/",
        views.ReturnInTransitView.as_view(),
        name="return-in-transit",
    ),
    path(
        "returns/<int:pk>/refund-preview/",
        views.ReturnRefundPreviewView.as_view(),
        name="return-refund-preview",
    ),
    path("returns/<int:pk>/refund/", views.ReturnRefundView.as_view(), name="return-refund"),
    path("returns/<int:pk>/cancel/", views.ReturnCancelView.as_view(), name="return-cancel"),
]
