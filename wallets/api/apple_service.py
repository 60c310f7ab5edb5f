"""Apple's PassKit web service (SPEC §4), the pass's ``webServiceURL``: the endpoints Apple Wallet
calls on its own to register a device for a pass's pushes, list the passes that changed, download
the latest pass and report its errors. Paths, bodies and status codes are Apple's ("Adding a Web
Service to Update Passes"); errors are our JSON ones.

Apple Wallet not configured, or a pass type that is not ours: 404 everywhere.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import ErrorSerializer, error_responses
from common.errors import ApplicationError, NotFound
from common.parsers import JSONParser
from common.throttling import ClientIpRateThrottle
from wallets.api.negotiation import IgnoreAccept
from wallets.apple.credentials import AppleCredentialsError
from wallets.apple.package import build_pkpass, pass_modified_at
from wallets.apple.web_service import authorization_matches, last_modified, not_modified
from wallets.config import apple_configured
from wallets.models import WalletPass
from wallets.selectors import find_device_pass, is_our_pass_type, passes_updated_since
from wallets.services import register_apple_device, unregister_apple_device

log = logging.getLogger("wallets.apple.devices")

TAG = "Apple Wallet web service"
PKPASS = "application/vnd.apple.pkpass"
RETRY_AFTER_SECONDS = 300
# What a device may report through v1/log, so that the log cannot be flooded through it.
MAX_LOG_ENTRIES = 20
MAX_LOG_LENGTH = 500


class PassNotAuthorized(ApplicationError):
    status_code = 401
    default_code = "not_authenticated"
    default_message = gettext_lazy("Send the pass token as “ApplePass <token>”.")


class AppleDeviceThrottle(ClientIpRateThrottle):
    scope = "apple_devices"


class AppleLogThrottle(ClientIpRateThrottle):
    scope = "apple_device_logs"


class AppleWebServiceApi(APIView):
    authentication_classes: list = []  # public: Apple Wallet authenticates with the pass's token
    permission_classes: list = []
    throttle_classes = [AppleDeviceThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    content_negotiation_class = IgnoreAccept

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            # A body that is not JSON is answered 415/400 first, Apple Wallet on or off, as the
            # schema documents; Apple Wallet itself always sends JSON.
            request.data  # noqa: B018
        if not apple_configured():
            raise NotFound(_("This wallet is not set up."))

    def authorized_pass(
        self, request: Request, pass_type_identifier: str, serial_number: str
    ) -> WalletPass:
        wallet_pass = find_device_pass(
            pass_type_id=pass_type_identifier, serial_number=serial_number
        )
        if wallet_pass is None:
            raise NotFound()
        if not authorization_matches(
            request.headers.get("Authorization", ""), wallet_pass.apple_auth_token
        ):
            raise PassNotAuthorized()
        return wallet_pass


_DEVICE = serializers.CharField(max_length=128)


class _TextField(serializers.CharField):
    """A string, and only a string (DRF's CharField turns a number into one)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RegisterInput(serializers.Serializer):
    pushToken = _TextField(max_length=256)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The device's identifier comes in the path; the registration keeps up to 128 characters.
        try:
            _DEVICE.run_validation(self.context["device"])
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"deviceLibraryIdentifier": error.detail}) from None
        return attrs


class SerialNumbersOutput(serializers.Serializer):
    serialNumbers = serializers.ListField(child=serializers.CharField())
    lastUpdated = serializers.CharField(
        help_text="An opaque tag: send it back as `passesUpdatedSince`."
    )


class LogInput(serializers.Serializer):
    logs = serializers.ListField(child=_TextField(allow_blank=True, trim_whitespace=False))


_AUTHORIZATION = OpenApiParameter(
    "Authorization",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="`ApplePass <authenticationToken>`, the token of the pass's `pass.json`.",
)
_NOT_AUTHORIZED = OpenApiResponse(
    ErrorSerializer, description="`not_authenticated`: missing or wrong `ApplePass` token"
)
_NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="`not_found`: Apple Wallet is not set up, the pass type is not ours, or the "
    "serial number is unknown on this host",
)
_OK = OpenApiResponse(description="Done (empty body)")


class AppleRegistrationApi(AppleWebServiceApi):
    @extend_schema(
        operation_id="apple_device_register",
        tags=[TAG],
        request=RegisterInput,
        parameters=[_AUTHORIZATION],
        responses={
            200: OpenApiResponse(description="The device already had the pass; token refreshed"),
            201: OpenApiResponse(description="Registered"),
            **error_responses(400, 415, 429),
            401: _NOT_AUTHORIZED,
            404: _NOT_FOUND,
        },
        summary="Register a device for a pass's update pushes",
    )
    def post(
        self,
        request: Request,
        device_library_id: str,
        pass_type_id: str,
        serial_number: str,
    ) -> Response:
        wallet_pass = self.authorized_pass(request, pass_type_id, serial_number)
        body = RegisterInput(data=request.data, context={"device": device_library_id})
        body.is_valid(raise_exception=True)
        created = register_apple_device(
            wallet_pass=wallet_pass,
            device_library_id=device_library_id,
            push_token=body.validated_data["pushToken"],
        )
        return Response(status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        operation_id="apple_device_unregister",
        tags=[TAG],
        parameters=[_AUTHORIZATION],
        responses={
            200: _OK,
            **error_responses(400, 429),
            401: _NOT_AUTHORIZED,
            404: _NOT_FOUND,
        },
        summary="Stop a device's update pushes for a pass",
        description="200 also when the device was not registered: the pass is not on it either.",
    )
    def delete(
        self,
        request: Request,
        device_library_id: str,
        pass_type_id: str,
        serial_number: str,
    ) -> Response:
        wallet_pass = self.authorized_pass(request, pass_type_id, serial_number)
        unregister_apple_device(wallet_pass=wallet_pass, device_library_id=device_library_id)
        return Response(status=status.HTTP_200_OK)


class AppleUpdatedPassesApi(AppleWebServiceApi):
    @extend_schema(
        operation_id="apple_device_updated_passes",
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "passesUpdatedSince",
                str,
                required=False,
                description="The `lastUpdated` of the previous answer; none: every pass.",
            ),
        ],
        responses={
            200: SerialNumbersOutput,
            204: OpenApiResponse(description="No pass changed since the tag"),
            # 400: an address with a NUL character (common.middleware), as on every endpoint.
            **error_responses(400, 429),
            404: _NOT_FOUND,
        },
        summary="The device's passes that changed since a tag",
        description="Apple Wallet sends no token here: the answer holds serial numbers only.",
    )
    def get(
        self,
        request: Request,
        device_library_id: str,
        pass_type_id: str,
    ) -> Response:
        if not is_our_pass_type(pass_type_id):
            raise NotFound()
        updated = passes_updated_since(
            device_library_id=device_library_id,
            tag=request.query_params.get("passesUpdatedSince"),
        )
        if updated is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            SerialNumbersOutput(
                {"serialNumbers": updated.serial_numbers, "lastUpdated": updated.last_updated}
            ).data
        )


class AppleLatestPassApi(AppleWebServiceApi):
    @extend_schema(
        operation_id="apple_latest_pass",
        tags=[TAG],
        parameters=[
            _AUTHORIZATION,
            OpenApiParameter(
                "If-Modified-Since",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="The `Last-Modified` of the pass the device has.",
            ),
        ],
        responses={
            (200, PKPASS): OpenApiResponse(
                OpenApiTypes.BINARY, description="The signed pass, with `Last-Modified`"
            ),
            304: OpenApiResponse(description="The device's pass is the latest"),
            **error_responses(400, 429),
            401: _NOT_AUTHORIZED,
            404: _NOT_FOUND,
            503: OpenApiResponse(
                ErrorSerializer,
                description="`unavailable`: the pass cannot be signed now; retry after "
                "`Retry-After` seconds",
            ),
        },
        summary="The latest version of a pass",
    )
    def get(
        self,
        request: Request,
        pass_type_id: str,
        serial_number: str,
    ) -> HttpResponse:
        wallet_pass = self.authorized_pass(request, pass_type_id, serial_number)
        version = pass_modified_at(wallet_pass)
        headers = {
            "Last-Modified": http_date(last_modified(version, now=timezone.now()).timestamp()),
            "Cache-Control": "no-cache",
        }
        if_modified_since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        if not_modified(version, if_modified_since=if_modified_since):
            return HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        try:
            # The host the device called, without its port (links add PUBLIC_PORT themselves).
            data = build_pkpass(wallet_pass, host=request.tenant.domain_url).data
        except AppleCredentialsError:
            log.exception("Apple pass not signed: the credentials cannot be read")
            return Response(
                {
                    "detail": _("Wallet passes are not available yet. Please try again later."),
                    "code": "unavailable",
                },
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return HttpResponse(data, content_type=PKPASS, headers=headers)


class AppleDeviceLogApi(AppleWebServiceApi):
    throttle_classes = [AppleDeviceThrottle, AppleLogThrottle]

    @extend_schema(
        operation_id="apple_device_log",
        tags=[TAG],
        request=LogInput,
        responses={200: _OK, **error_responses(400, 415, 429), 404: _NOT_FOUND},
        summary="Errors Apple Wallet reports about this web service",
        description="Written to the server's log (bounded), not stored.",
    )
    def post(self, request: Request) -> Response:
        body = LogInput(data=request.data)
        body.is_valid(raise_exception=True)
        entries = body.validated_data["logs"]
        for entry in entries[:MAX_LOG_ENTRIES]:
            # %r: a device's text cannot forge log lines.
            log.warning("Apple Wallet reports: %r", entry[:MAX_LOG_LENGTH])
        if len(entries) > MAX_LOG_ENTRIES:
            log.warning("Apple Wallet reports %d more entries", len(entries) - MAX_LOG_ENTRIES)
        return Response(status=status.HTTP_200_OK)
