"""Request checks that hold for every view, present and future."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_plus

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


class RefuseNulCharactersMiddleware:
    """A 400 for a path or query string that holds a NUL character.

    PostgreSQL cannot store or compare text with a NUL in it, so such a value reaching a query (a
    store code in a URL, a search term) would end in a DataError, a 500. No honest client sends
    one. Bodies need no check here: form and serializer fields refuse NUL themselves.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote_plus(query):
            message = _("The address contains a character that is not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "invalid"}, status=400)
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's policy, with ``BACKOFFICE_CSP_DIRECTIVES`` in place of the site's under the
    admin sites' prefix (see the settings for why). There no nonce is sent: a nonce would make
    browsers ignore 'unsafe-inline'."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(settings.BACKOFFICE_PATH_PREFIX):
            parts.replace = {**(parts.replace or {}), **settings.BACKOFFICE_CSP_DIRECTIVES}
            parts.nonce = None
        return parts


class SecurityHeadersMiddleware:
    """Headers no view should forget: who may use the camera, and no caching of API answers.

    Only the staff terminal (``/staff/``) scans QR codes, so only it may ask for the camera; every
    other page gets ``camera=()``. API answers carry customers' names, e-mails and balances, so
    no browser or proxy keeps a copy (``Cache-Control: no-store``), whatever the view set.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        camera = "(self)" if request.path.startswith("/staff/") else "()"
        response.headers.setdefault(
            "Permissions-Policy", f"camera={camera}, microphone=(), geolocation=()"
        )
        if request.path.startswith("/api/"):
            response["Cache-Control"] = "no-store"
        return response


class ApiNotFoundAsJsonMiddleware:
    """Under ``/api/``, a 404 that Django renders as a page (with DEBUG on, its debug page for an
    unknown path, which bypasses ``handler404``) becomes the API's JSON, as in production."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
        return response
