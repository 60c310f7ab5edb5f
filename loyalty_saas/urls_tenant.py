"""URLs of a merchant host (<slug>.PLATFORM_DOMAIN or a custom domain)."""

from __future__ import annotations

from django.urls import include, path
from django.views.generic import TemplateView

from loyalty_saas.common.admin import backoffice_site
from merchants.views import healthz

urlpatterns = [
    path("", TemplateView.as_view(template_name="merchant_home.html"), name="merchant_home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", backoffice_site.urls),
]
