"""URLs of the platform host (PLATFORM_DOMAIN)."""

from __future__ import annotations

from django.urls import include, path

from insights.api.platform_urls import platform_urlpatterns
from merchants import views
from merchants.admin import platform_admin_site

urlpatterns = [
    path("", views.landing, name="landing"),
    path("signup/", views.signup, name="signup"),
    path("signin/", views.sign_in, name="sign-in"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", platform_admin_site.urls),
    path("api/v1/admin/loyalty/", include(platform_urlpatterns)),
]

# Under /api/ every error is the API's JSON, on this host as on the other (common/error_views.py).
handler400 = "common.error_views.bad_request"
handler403 = "common.error_views.permission_denied"
handler404 = "common.error_views.page_not_found"
handler500 = "common.error_views.server_error"
