"""Mounted at /api/v1/promise/ (a top-level resource, not under /routing/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.PromiseView.as_view(), name="promise"),
]
