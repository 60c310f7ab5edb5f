"""The pass endpoints of SPEC §4, public (the pass links on the card page and in the API).

A wallet that is not configured is 404 ``not_found``. The Apple endpoint serves the signed
``.pkpass``; the Google endpoint redirects to Google's "Add to Google Wallet" page with a freshly
signed link. Credentials that cannot be read answer 503 ``unavailable`` with a ``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpResponse, HttpResponseRedirect
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
from programs.models import LoyaltyProgram
from wallets.api.negotiation import IgnoreAccept
from wallets.apple.credentials import AppleCredentialsError
from wallets.apple.package import build_pkpass
from wallets.config import apple_configured, google_configured
from wallets.google import ids
from wallets.google.content import class_body, object_body
from wallets.google.credentials import GoogleCredentialsError
from wallets.google.images import default_logo_png
from wallets.google.save_link import save_url
from wallets.google.sync import CARD_RELATIONS, object_reference
from wallets.models import GoogleClass
from wallets.receivers import sync_google_card
from wallets.selectors import find_apple_pass, find_wallet_pass

logger = logging.getLogger(__name__)

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


_DESCRIPTION = (
    "404 `not_found` while this wallet is not configured on the platform, or for an unknown "
    "serial number."
)
_UNAVAILABLE = OpenApiResponse(
    ErrorSerializer,
    description="`unavailable`: the wallet's credentials cannot be read; try again after "
    "`Retry-After` seconds",
)


class ApplePassApi(PassApi):
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
            503: _UNAVAILABLE,
        },
        summary="A card's Apple Wallet pass",
        description=_DESCRIPTION + " A deactivated card's pass is voided.",
    )
    def get(self, request: Request, serial: str) -> HttpResponse | Response:  # type: ignore[override]
        if not apple_configured():
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


def class_inserted(program: LoyaltyProgram) -> bool:
    """Whether Google has had the programme's class inserted at some point (then its id is
    enough: a later patch refused leaves Google's copy in place)."""
    return GoogleClass.objects.filter(
        program=program, class_id=ids.class_id(program), synced_at__isnull=False
    ).exists()


class GooglePassApi(PassApi):
    @extend_schema(
        operation_id="passes_google",
        tags=["Public"],
        responses={
            302: OpenApiResponse(
                description="To `https://pay.google.com/gp/v/save/<JWT>`, Google's page that "
                "adds the card to Google Wallet"
            ),
            **error_responses(404),
            503: _UNAVAILABLE,
        },
        summary="Add a card to Google Wallet",
        description=_DESCRIPTION,
    )
    def get(self, request: Request, serial: str) -> HttpResponse | Response:
        if not google_configured():
            raise NotFound(_("This wallet is not set up."))
        wallet_pass = find_wallet_pass(serial_number=serial, relations=CARD_RELATIONS)
        if wallet_pass is None:
            raise NotFound()
        card = wallet_pass.card
        host = request.tenant.domain_url
        reference = object_reference(wallet_pass)
        classes: list[dict[str, Any]] = []
        if reference is None:
            # Not inserted yet (Google Wallet switched on after the card was made, or Google
            # refused it so far): the link carries the whole object, and a sync is queued.
            program = card.program
            reference = object_body(
                card,
                object_id=ids.object_id(wallet_pass, program),
                class_id=ids.class_id(program),
                host=host,
            )
            if not class_inserted(program):
                # Nor the programme's class: Google needs it before it can save the object.
                classes.append(class_body(program, issuer_name=request.tenant.name, host=host))
            sync_google_card(card_id=card.pk)
        try:
            url = save_url(objects=[reference], classes=classes, host=host)
        except GoogleCredentialsError as error:
            logger.error("Google Wallet link not signed: %s", error)
            return _unavailable(CREDENTIALS_RETRY_AFTER_SECONDS)
        return HttpResponseRedirect(url)


class GoogleLogoApi(PassApi):
    """The logo Google Wallet shows for a programme without one of its own (Google fetches it)."""

    @extend_schema(
        operation_id="passes_google_logo",
        tags=["Public"],
        responses={(200, "image/png"): OpenApiTypes.BINARY, **error_responses(404)},
        summary="A programme's default Google Wallet logo",
    )
    def get(self, request: Request, program_id: int) -> HttpResponse:
        program = LoyaltyProgram.objects.filter(pk=program_id).first()
        if program is None:
            raise NotFound()
        png = default_logo_png(program.card_color, program.card_name)
        return HttpResponse(png, content_type="image/png")
