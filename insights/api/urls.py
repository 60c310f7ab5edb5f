from __future__ import annotations

from django.urls import URLPattern, path

from insights.api import views

# Under /api/v1/vendor/loyalty/ (SPEC §4).
vendor_urlpatterns: list[URLPattern] = [
    path("stats", views.StatsApi.as_view(), name="api-stats"),
]
