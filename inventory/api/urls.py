from django.urls import path

from . import views

urlpatterns = [
    path("locations/", views.LocationListView.as_view(), name="location-list"),
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path("stock/updates/", views.StockUpdateView.as_view(), name="stock-updates"),
    path("inbound/", views.InboundListCreateView.as_view(), name="inbound-list"),
    path("inbound/<int:pk>/", views.InboundDetailView.as_view(), name="inbound-detail"),
    path("inbound/<int:pk>/receive/", views.InboundReceiveView.as_view(), name="inbound-receive"),
    path("inbound/<int:pk>/cancel/", views.InboundCancelView.as_view(), name="inbound-cancel"),
]
