from __future__ import annotations

from django.urls import path

from wallets.api import views

# Under /api/v1/loyalty/ (SPEC §4); cards build links to them by name (wallets.links).
public_urlpatterns = [
    path("passes/apple/<str:serial>.pkpass", views.ApplePassApi.as_view(), name="api-pass-apple"),
    path("passes/google/<str:serial>", views.GooglePassApi.as_view(), name="api-pass-google"),
]
