"""The pass endpoints of SPEC §4, public (the pass links on the card page and in the API).

A wallet that is not configured is 404 ``not_found``. The Apple endpoint serves the signed
``.pkpass``; the redirect to "Add to Google Wallet" is the Google Wallet issue's, and until then
a configured Google Wallet answers 503 ``unavailable`` with a ``Retry-After``.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import ErrorSerializer, error_responses
from common.errors import NotFound
from wallets.api.negotiation import IgnoreAccept
from wallets.apple.credentials import AppleCredentialsError
from wallets.apple.package import build_pkpass
from wallets.config import apple_configured, google_configured
from wallets.selectors import find_apple_pass, find_wallet_pass

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 3600
# Unreadable credential files are an operator's fix (a mount, a permission): soon, we hope.
CREDENTIALS_RETRY_AFTER_SECONDS = 300
PKPASS_TYPE = "application/vnd.apple.pkpass"


def _unavailable(retry_after: int) -> Response:
    return Response(
        {
            "detail": _("Wallet passes are not available yet. Please try again later."),
            "code": "unavailable",
        },
        status=503,
        headers={"Retry-After": str(retry_after)},
    )


class PassApi(APIView):
    authentication_classes: list = []  # public: the serial number is the secret
    permission_classes: list = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = IgnoreAccept

    def configured(self) -> bool:
        raise NotImplementedError

    def get(self, request: Request, serial: str) -> Response:
        if not self.configured():
            raise NotFound(_("This wallet is not set up."))
        if find_wallet_pass(serial_number=serial) is None:
            raise NotFound()
        return _unavailable(RETRY_AFTER_SECONDS)


_RESPONSES = {
    **error_responses(404),
    503: OpenApiResponse(
        ErrorSerializer, description="`unavailable`: try again after `Retry-After` seconds"
    ),
}
_DESCRIPTION = (
    "404 `not_found` while this wallet is not configured on the platform, or for an unknown "
    "serial number."
)


class ApplePassApi(PassApi):
    def configured(self) -> bool:
        return apple_configured()

    @extend_schema(
        operation_id="passes_apple",
        tags=["Public"],
        responses={
            (200, PKPASS_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The signed pass (a zip: pass.json, images, pass.strings, "
                "manifest.json, signature), with `Last-Modified`",
            ),
            **error_responses(404),
            503: OpenApiResponse(
                ErrorSerializer,
                description="`unavailable`: the signing credentials cannot be read; try again "
                "after `Retry-After` seconds",
            ),
        },
        summary="A card's Apple Wallet pass",
        description=_DESCRIPTION + " A deactivated card's pass is voided.",
    )
    def get(self, request: Request, serial: str) -> HttpResponse | Response:  # type: ignore[override]
        if not self.configured():
            raise NotFound(_("This wallet is not set up."))
        wallet_pass = find_apple_pass(serial_number=serial)
        if wallet_pass is None:
            raise NotFound()
        try:
            built = build_pkpass(wallet_pass, host=request.tenant.domain_url)
        except AppleCredentialsError as error:
            # The message names the setting and the file, never a key or a password.
            logger.error("Apple pass not built: %s", error)
            return _unavailable(CREDENTIALS_RETRY_AFTER_SECONDS)
        response = HttpResponse(built.data, content_type=PKPASS_TYPE)
        response["Content-Disposition"] = 'attachment; filename="loyalty-card.pkpass"'
        response["Last-Modified"] = http_date(built.modified_at.timestamp())
        # No copy is kept anywhere: common.middleware answers every /api/ path "no-store" (the
        # pass carries the customer's name and balance, and changes with every stamp).
        return response


class GooglePassApi(PassApi):
    def configured(self) -> bool:
        return google_configured()

    @extend_schema(
        operation_id="passes_google",
        tags=["Public"],
        responses=_RESPONSES,
        summary="Add a card to Google Wallet",
        description=_DESCRIPTION,
    )
    def get(self, request: Request, serial: str) -> Response:
        return super().get(request, serial)
