from __future__ import annotations

from django.urls import path

from staff.api import views

vendor_urlpatterns = [
    path("pins", views.StaffPinListCreateApi.as_view(), name="api-pins"),
    path("pins/<int:pin_id>", views.StaffPinDetailApi.as_view(), name="api-pin"),
]
