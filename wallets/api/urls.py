from __future__ import annotations

from django.urls import path

from wallets.api import apple_service, views

APPLE = "apple/v1"

# Under /api/v1/loyalty/ (SPEC §4); cards build links to them by name (wallets.links).
public_urlpatterns = [
    path("passes/apple/<str:serial>.pkpass", views.ApplePassApi.as_view(), name="api-pass-apple"),
    path(
        "passes/google/logo/<int:program_id>.png",
        views.GoogleLogoApi.as_view(),
        name="api-google-logo",
    ),
    path("passes/google/<str:serial>", views.GooglePassApi.as_view(), name="api-pass-google"),
    # Apple's PassKit web service: the pass's webServiceURL is ".../apple" (no trailing slash)
    # and Apple Wallet appends "/v1/..." to it.
    path(
        f"{APPLE}/devices/<str:device_library_id>/registrations/<str:pass_type_id>/"
        "<str:serial_number>",
        apple_service.AppleRegistrationApi.as_view(),
        name="api-apple-registration",
    ),
    path(
        f"{APPLE}/devices/<str:device_library_id>/registrations/<str:pass_type_id>",
        apple_service.AppleUpdatedPassesApi.as_view(),
        name="api-apple-updated-passes",
    ),
    path(
        f"{APPLE}/passes/<str:pass_type_id>/<str:serial_number>",
        apple_service.AppleLatestPassApi.as_view(),
        name="api-apple-latest-pass",
    ),
    path(f"{APPLE}/log", apple_service.AppleDeviceLogApi.as_view(), name="api-apple-log"),
]
