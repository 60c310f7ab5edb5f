"""Lock-screen campaigns for integrators: list, send or schedule, preview, report, cancel."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import IDEMPOTENCY_PARAMETER, error_responses, idempotent, restricted_store
from common.errors import NotFound
from messaging import selectors
from messaging.api.serializers import (
    CampaignInput,
    MessageOutput,
    PreviewInput,
    PreviewOutput,
)
from messaging.models import Audience, Message
from messaging.services import cancel_campaign, create_campaign
from programs.models import LoyaltyProgram, Store
from programs.selectors import store_for_caller

LIST_LIMIT = 100


def _merchant_wide(request: Request) -> None:
    # A campaign reaches the merchant's customers at every store: not for a one-store key.
    if restricted_store(request) is not None:
        raise PermissionDenied(_("A key limited to one store cannot send messages."))


def _audience(data: dict[str, Any]) -> dict[str, Any]:
    audience = data.get("audience") or {}
    kind = audience.get("type", Audience.EVERYONE)
    store: Store | None = None
    if code := audience.get("store_code"):
        try:
            store = store_for_caller(code=code, restricted_to=None)
        except DjangoValidationError as error:
            raise DjangoValidationError(
                {"audience": error.message_dict.get("store_code", error.messages)}
            ) from None
    program: LoyaltyProgram | None = None
    if (program_id := data.get("program_id")) is not None:
        program = LoyaltyProgram.objects.filter(pk=program_id).first()
        if program is None:
            raise DjangoValidationError({"program_id": _("There is no programme with this id.")})
    return {"audience": kind, "store": store, "days": audience.get("days"), "program": program}


class MessageListCreateApi(APIView):
    @extend_schema(
        operation_id="messages_list",
        tags=["Messages"],
        responses={200: MessageOutput(many=True), **error_responses(401, 403, 406, 429)},
        summary="List campaigns and automations, with their reports",
        description=f"The {LIST_LIMIT} newest.",
    )
    def get(self, request: Request) -> Response:
        _merchant_wide(request)
        messages = Message.objects.select_related("audience_store")[:LIST_LIMIT]
        return Response(MessageOutput(messages, many=True).data)

    @extend_schema(
        operation_id="messages_create",
        tags=["Messages"],
        parameters=[IDEMPOTENCY_PARAMETER],
        request=CampaignInput,
        responses={201: MessageOutput, **error_responses(400, 401, 403, 406, 415, 429)},
        summary="Send or schedule a lock-screen campaign",
        description="The message goes to the audience's Apple and Google Wallet passes, under "
        "each customer's budget (at most 3 per pass a day, the merchant's weekly cap), the "
        "stores' quiet hours (sends wait) and marketing consent. A random tenth of the audience "
        "is held out as the report's baseline.",
    )
    def post(self, request: Request) -> Response:
        _merchant_wide(request)
        data = CampaignInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        audience = _audience(fields)

        def create() -> Response:
            message = create_campaign(
                name=fields.get("name", ""),
                texts=fields["texts"],
                send_at=fields.get("send_at"),
                send=fields["send"],
                **audience,
            )
            message = Message.objects.select_related("audience_store").get(pk=message.pk)
            return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED)

        return idempotent(request, create)


class MessagePreviewApi(APIView):
    @extend_schema(
        operation_id="messages_preview",
        tags=["Messages"],
        request=PreviewInput,
        responses={200: PreviewOutput, **error_responses(400, 401, 403, 406, 415, 429)},
        summary="How many customers a campaign would reach, per wallet, and who is skipped",
    )
    def post(self, request: Request) -> Response:
        _merchant_wide(request)
        data = PreviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        audience = _audience(fields)
        result = selectors.preview(
            audience=audience["audience"],
            store_id=audience["store"].pk if audience["store"] else None,
            days=audience["days"],
            program_id=audience["program"].pk if audience["program"] else None,
            send_at=fields.get("send_at"),
        )
        body = {
            "targeted": result.targeted,
            "reached": result.reached,
            "apple": result.apple,
            "google": result.google,
            "holdout": result.holdout,
            "skipped": dict(result.skipped),
            "waiting": result.waiting,
        }
        return Response(PreviewOutput(body).data)


class MessageDetailApi(APIView):
    def _message(self, message_id: int) -> Message:
        _merchant_wide(self.request)
        message = Message.objects.select_related("audience_store").filter(pk=message_id).first()
        if message is None:
            raise NotFound(_("There is no message with this id."))
        return message

    @extend_schema(
        operation_id="messages_retrieve",
        tags=["Messages"],
        responses={200: MessageOutput, **error_responses(401, 403, 404, 406, 429)},
        summary="A campaign or automation with its delivery report",
    )
    def get(self, request: Request, message_id: int) -> Response:
        return Response(MessageOutput(self._message(message_id)).data)


class MessageCancelApi(APIView):
    @extend_schema(
        operation_id="messages_cancel",
        tags=["Messages"],
        parameters=[IDEMPOTENCY_PARAMETER],
        request=None,
        responses={200: MessageOutput, **error_responses(400, 401, 403, 404, 406, 429)},
        summary="Cancel a scheduled or sending campaign",
    )
    def post(self, request: Request, message_id: int) -> Response:
        message = MessageDetailApi._message(self, message_id)  # type: ignore[arg-type]

        def cancel() -> Response:
            cancelled = cancel_campaign(message=message)
            cancelled = Message.objects.select_related("audience_store").get(pk=cancelled.pk)
            return Response(MessageOutput(cancelled).data)

        return idempotent(request, cancel)
