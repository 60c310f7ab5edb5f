"""The pass endpoints of SPEC §4, public (the pass links on the card page and in the API).

They answer what they can today: a wallet that is not configured is 404 ``not_found``. Serving
the signed ``.pkpass`` and the redirect to "Add to Google Wallet" is the work of the Apple Wallet
and Google Wallet issues; until then a configured wallet answers 503 ``unavailable`` with a
``Retry-After``, and these views are replaced there.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import ErrorSerializer, error_responses
from common.errors import NotFound
from wallets.config import apple_configured, google_configured
from wallets.selectors import find_wallet_pass

RETRY_AFTER_SECONDS = 3600


class _AlwaysJson(BaseContentNegotiation):
    # A wallet app asks for application/vnd.apple.pkpass; while no pass can be served, it gets
    # the JSON error rather than 406.
    def select_parser(self, request: Request, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class PassApi(APIView):
    authentication_classes: list = []  # public: the serial number is the secret
    permission_classes: list = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _AlwaysJson

    def configured(self) -> bool:
        raise NotImplementedError

    def get(self, request: Request, serial: str) -> Response:
        if not self.configured():
            raise NotFound(_("This wallet is not set up."))
        if find_wallet_pass(serial_number=serial) is None:
            raise NotFound()
        return Response(
            {
                "detail": _("Wallet passes are not available yet. Please try again later."),
                "code": "unavailable",
            },
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


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
        responses=_RESPONSES,
        summary="A card's Apple Wallet pass",
        description=_DESCRIPTION,
    )
    def get(self, request: Request, serial: str) -> Response:
        return super().get(request, serial)


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
