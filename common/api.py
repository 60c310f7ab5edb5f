"""One error format for the whole API: ``{"detail": ..., "code": ..., ...}`` (SPEC §4)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import ApplicationError
from common.idempotency import HEADER, IdempotencyKey, Outcome, run_idempotently
from common.request_meta import client_ip

_DRF_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "invalid",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


# Formats an error may come back in: JSON, or CSV for an export asked for as CSV.
_ERROR_FORMATS = {"json", "csv"}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    _render_errors_as_json(context.get("request"))
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = validation_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _("Some fields are invalid."),
            "code": code,
            "errors": exc.detail,
        }
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    body: dict[str, Any] = {"detail": str(exc.detail), "code": code}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        body["retry_after"] = int(exc.wait)
    response.data = body
    return response


def _render_errors_as_json(request: Request | None) -> None:
    """An error from a view that renders HTML or YAML (the API docs, the schema) is the API's
    JSON too: what the client negotiated was the success's format, not the error's."""
    renderer = getattr(request, "accepted_renderer", None)
    if request is None or (renderer is not None and renderer.format in _ERROR_FORMATS):
        return
    request.accepted_renderer = JSONRenderer()
    request.accepted_media_type = JSONRenderer.media_type


class OutputSerializer(serializers.Serializer):
    """A read-only serializer that is cheap to instantiate, for responses on hot paths.

    DRF deep-copies every declared field for every serializer instance, and a field's deep copy
    re-runs its ``__init__``: for a stamp's response (card, customer, transaction: 45 fields) that
    cost more than the service's SQL. A plain field is stateless once bound (``bind`` only assigns
    its name, parent and source on the copy), so a shallow copy serves; nested serializers keep
    the deep copy, since they carry their own bound fields and the request's context.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            name: copy.deepcopy(field)
            if isinstance(field, serializers.BaseSerializer)
            else copy.copy(field)
            for name, field in self._declared_fields.items()
        }


# The shape DRF gives a serializer's errors: a field's messages, or nested errors where the field
# is itself a serializer (an object) or a list of them (one object per item).
_NESTED_ERRORS: dict[str, Any] = {"type": "object", "additionalProperties": {}}
_FIELD_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"oneOf": [{"type": "string"}, _NESTED_ERRORS]}},
            _NESTED_ERRORS,
        ]
    },
}


@extend_schema_field(_FIELD_ERRORS_SCHEMA)
class FieldErrorsField(serializers.DictField):
    """Documentation only: errors are rendered by the exception handler, never serialized."""


class ErrorSerializer(serializers.Serializer):
    """The body of every API error (SPEC §4); some codes add fields such as ``retry_after``."""

    detail = serializers.CharField(help_text="A human message, in the request's language.")
    code = serializers.CharField(help_text="A stable machine code, e.g. `not_found`.")
    errors = FieldErrorsField(
        required=False,
        help_text="Field errors, with code `invalid`: for each field, its messages; for a list "
        "of objects (e.g. `points_rewards`), one object of field errors per item (empty for "
        "an item without errors); for an object, its field errors.",
    )


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """OpenAPI documentation of the error statuses an endpoint can answer."""
    descriptions = {
        400: "`invalid`: field errors under `errors`",
        401: "`not_authenticated`: missing, unknown or revoked API key",
        403: "`permission_denied`: the key lacks the scope",
        404: "`not_found`",
        406: "`not_acceptable`: the `Accept` header names no format this endpoint answers in",
        409: "a business rule refused the operation (see `code`)",
        415: "`unsupported_media_type`: the body is neither JSON nor a form",
        429: "`throttled`, with `retry_after` seconds",
    }
    return {
        status_code: OpenApiResponse(ErrorSerializer, description=descriptions[status_code])
        for status_code in statuses
    }


def restricted_store(request: Any) -> Any | None:
    """The store the caller's API key is limited to; None for a key valid at every store.

    The key is whatever the default authentication put in ``request.auth`` (settings name it):
    views never import the authentication they run behind.
    """
    return getattr(request.auth, "store", None)


def validation_error_response(error: DjangoValidationError) -> exceptions.ValidationError:
    """A model or service ValidationError as the API's 400 ``invalid`` with field errors."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


def caller_id(request: Any) -> str:
    """Who is calling, for scoping Idempotency-Keys: the API key, else the signed-in user, else
    the client's address (public endpoints)."""
    key_id = getattr(request.auth, "pk", None)
    if key_id is not None:
        return f"api-key:{key_id}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"client:{client_ip(request) or 'unknown'}"


def idempotent(request: Request, perform: Callable[[], Response]) -> Response:
    """Answer a write endpoint once per caller and ``Idempotency-Key``: ``perform`` calls the
    service and renders its result; with a key, the rendered response is stored in the service's
    transaction and a retry gets it back, marked ``Idempotent-Replayed: true`` (see
    common.idempotency)."""
    key = IdempotencyKey.parse(
        request.headers.get(HEADER, ""),
        caller=caller_id(request),
        request={"path": request.path, "body": request.data},
    )

    def run() -> Outcome:
        response = perform()
        return Outcome(response.status_code, response.data, result=response)

    outcome = run_idempotently(key, run)
    if not outcome.replayed:
        return outcome.result  # type: ignore[no-any-return]
    return Response(
        outcome.body, status=outcome.status_code, headers={"Idempotent-Replayed": "true"}
    )


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Retrying with the same key returns the first response and writes nothing; the "
    "same key with a different request answers 409 `idempotency_key_reused`. Keys are the "
    "caller's own (per API key) and kept 30 days by default.",
)
