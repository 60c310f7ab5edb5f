from __future__ import annotations

from django.urls import URLPattern

# Under /api/v1/vendor/loyalty/ (SPEC §4).
vendor_urlpatterns: list[URLPattern] = []
