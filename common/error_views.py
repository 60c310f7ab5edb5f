"""Error answers for what happens outside the API's views: unknown paths, bodies over the size
limit, an unreachable database. Under ``/api/`` every one is the API's ``{"detail", "code"}``
JSON (SPEC §4); pages keep their HTML.

Both URL confs name these as ``handler400``…``handler500``; Django calls them for errors raised
anywhere in a request, middleware included.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions

API_PREFIX = "/api/"
# How long a client is asked to wait while the database is unreachable: long enough not to
# hammer it, short enough that a restart or fail-over is barely noticed.
DATABASE_RETRY_AFTER_SECONDS = 10


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(detail: str, code: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, **extra}, status=status)


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` means the database cannot be reached (down, restarting, refusing
    connections), as opposed to a query of ours being wrong."""
    # Django raises a failed connection (and a connection lost mid-query) as these; a wrong
    # query of ours is a ProgrammingError, DataError or IntegrityError and stays a 500.
    return isinstance(exc, (OperationalError, InterfaceError))


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    too_large = isinstance(exception, RequestDataTooBig)
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if too_large:
        # DATA_UPLOAD_MAX_MEMORY_SIZE: Django refuses the body before any view reads it.
        return api_error(_("The request body is too large."), "too_large", 413)
    return api_error(_("The request is invalid."), "invalid", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    detail = exceptions.PermissionDenied.default_detail
    return api_error(str(detail), "permission_denied", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return api_error(_("Not found."), "not_found", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its ``except`` block: the exception is the one being handled.
    if database_unavailable(sys.exc_info()[1]):
        return service_unavailable(request)
    if not is_api(request):
        return defaults.server_error(request)
    return api_error(_("Something went wrong. Please try again in a moment."), "server_error", 500)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with ``Retry-After`` while the database is unreachable: a client retries later instead
    of reporting a bug, and nothing here touches the database (no session, no tenant)."""
    # LocaleMiddleware may not have run (the host middleware is the first to need the database).
    with translation.override(translation.get_language_from_request(request)):
        if is_api(request):
            response: HttpResponse = api_error(
                _("The service is briefly unavailable. Please try again in a moment."),
                "unavailable",
                503,
                retry_after=DATABASE_RETRY_AFTER_SECONDS,
            )
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response
