"""Host routing: the platform on PLATFORM_DOMAIN, each merchant on its own host names.

Everything after this middleware runs in the schema of the merchant the host belongs to. An
unknown, invalid or deactivated host gets a plain 404 page (the API's JSON under ``/api/``): no
schema is selected and no merchant data can be reached. While the database is unreachable, the
host lookup fails and Django answers through ``handler500`` (``common.error_views``): a 503.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string
from django.urls import set_urlconf
from django.utils import translation
from django.utils.translation import gettext as _
from django_tenants.utils import remove_www

from common.error_views import api_error, is_api
from merchants.selectors import tenant_for_host


class TenantHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        connection.set_schema_to_public()
        try:
            hostname = remove_www(request.get_host().split(":")[0].lower())
        except DisallowedHost:
            return self._not_found(request)

        if hostname == settings.PLATFORM_DOMAIN:
            # The FakeTenant django-tenants uses for "public" (its admin templates read it).
            request.tenant = connection.tenant  # type: ignore[attr-defined]
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF  # type: ignore[attr-defined]
            set_urlconf(request.urlconf)  # type: ignore[attr-defined]
            return self.get_response(request)

        tenant = tenant_for_host(hostname)
        if tenant is None:
            return self._not_found(request)
        tenant.domain_url = hostname
        request.tenant = tenant  # type: ignore[attr-defined]
        connection.set_tenant(tenant)
        request.urlconf = settings.ROOT_URLCONF  # type: ignore[attr-defined]
        set_urlconf(request.urlconf)  # type: ignore[attr-defined]
        return self.get_response(request)

    @staticmethod
    def _not_found(request: HttpRequest) -> HttpResponse:
        # Rendered without a request context: nothing here may depend on a tenant or a session.
        # LocaleMiddleware has not run yet, so pick the language from the request here.
        with translation.override(translation.get_language_from_request(request)):
            if is_api(request):
                return api_error(_("Not found."), "not_found", 404)
            return HttpResponseNotFound(render_to_string("unknown_host.html"))
