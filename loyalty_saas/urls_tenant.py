"""URLs of a merchant host (<slug>.PLATFORM_DOMAIN or a custom domain)."""

from __future__ import annotations

from django.conf import settings
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cards import views as card_views
from cards.api.urls import public_urlpatterns as card_public_api
from cards.api.urls import vendor_urlpatterns as card_vendor_api
from common.admin import backoffice_site
from common.media import media_file
from insights.api.urls import vendor_urlpatterns as insights_vendor_api
from merchants.views import healthz, sign_in_with_link
from messaging.api.urls import vendor_urlpatterns as messaging_vendor_api
from programs.api.urls import vendor_urlpatterns as program_vendor_api
from staff.api.urls import vendor_urlpatterns as staff_vendor_api
from wallets.api.urls import public_urlpatterns as wallet_public_api

urlpatterns = [
    path("", TemplateView.as_view(template_name="merchant_home.html"), name="merchant_home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # One-time sign-in links (after sign-up): merchants.views.SIGN_IN_LINK_PATH.
    path("signin/link/", sign_in_with_link, name="sign-in-link"),
    path("admin/", backoffice_site.urls),
    path("staff/", include("terminal.urls")),
    path("join/<str:store_code>/", card_views.join, name="join"),
    path("join/<str:store_code>/lost/", card_views.lost_card, name="lost-card"),
    path("join/<str:store_code>/privacy/", card_views.privacy_notice, name="privacy-notice"),
    path("c/<str:token>/", card_views.card_page, name="card-page"),
    path("c/<str:token>/state/", card_views.card_state, name="card-state"),
    path("c/<str:token>/qr.svg", card_views.card_qr, name="card-qr"),
    path("c/<str:token>/data/", card_views.card_data_request, name="card-data-request"),
    path("my-data/", card_views.data_confirm, name="data-confirm"),
    path("api/v1/loyalty/", include(card_public_api + wallet_public_api)),
    path(
        "api/v1/vendor/loyalty/",
        include(
            card_vendor_api
            + program_vendor_api
            + staff_vendor_api
            + insights_vendor_api
            + messaging_vendor_api
        ),
    ),
    # The API is closed by default (settings); its description is public.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="api-schema",
    ),
    path(
        "api/docs/",
        # The split view serves its start-up script from ?script instead of inline, as the
        # Content-Security-Policy wants (templates/api_docs.html).
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema",
            template_name="api_docs.html",
            authentication_classes=[],
            permission_classes=[],
        ),
        name="api-docs",
    ),
]
if settings.SERVE_MEDIA:
    # Programme logos from MEDIA_ROOT, each merchant's own only; with object storage their URLs
    # point at the bucket instead.
    urlpatterns.append(path("media/<path:path>", media_file, name="media"))

# Under /api/ every error is the API's JSON, on this host as on the other (common/error_views.py).
handler400 = "common.error_views.bad_request"
handler403 = "common.error_views.permission_denied"
handler404 = "common.error_views.page_not_found"
handler500 = "common.error_views.server_error"
