from django.urls import path

from . import views

urlpatterns = [
    path("simulate/", views.SimulateView.as_view(), name="routing-simulate"),
]
