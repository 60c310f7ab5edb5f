"""Public enrollment and the vendor card endpoints. Views parse, call a service or selector,
and render; rules live in ``cards.services`` and ``cards.selectors``."""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from cards.api.serializers import CardDetailOutput, CardOutput, EnrollInput
from cards.models import LoyaltyCard
from cards.selectors import get_card, recent_transactions, search_cards
from cards.services import enroll_customer
from loyalty_saas.common.api import error_responses
from staff.api.authentication import VendorApiMixin


class EnrollThrottle(AnonRateThrottle):
    scope = "enroll"


class EnrollApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [EnrollThrottle]

    @extend_schema(
        operation_id="enroll",
        tags=["Public"],
        request=EnrollInput,
        responses={
            201: CardOutput,
            200: CardOutput,
            **error_responses(400, 404, 409, 429),
        },
        summary="Enrol a customer at a store",
        description="Creates the customer and a card for the store's programme (201), or returns "
        "the card this e-mail already has for it (200). Errors: unknown store `not_found`, "
        "store not enrolling `store_inactive`, no active programme `program_inactive`.",
    )
    def post(self, request: Request, store_code: str) -> Response:
        data = EnrollInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        enrollment = enroll_customer(
            store_code=store_code,
            name=fields["name"],
            email=fields["email"],
            phone=fields["phone"],
            marketing_consent=fields["marketing_consent"],
            locale=fields.get("locale") or translation.get_language() or "en",
        )
        body = CardOutput(enrollment.card, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if enrollment.created else 200)


class CardListApi(VendorApiMixin, generics.ListAPIView):
    serializer_class = CardOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no key
            return LoyaltyCard.objects.none()
        params = self.request.query_params
        program = params.get("program", "")
        return search_cards(
            store=self.api_key().store,
            query=params.get("search", ""),
            program_id=int(program) if program.isdigit() else None,
            store_code=params.get("store", ""),
        )

    @extend_schema(
        operation_id="cards_list",
        tags=["Cards"],
        parameters=[
            OpenApiParameter(
                "search", str, description="card number (or its start), name or e-mail"
            ),
            OpenApiParameter("program", int, description="programme id"),
            OpenApiParameter("store", str, description="store code"),
        ],
        responses={200: CardOutput(many=True), **error_responses(401, 403, 429)},
        summary="Search cards",
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


class CardDetailApi(VendorApiMixin, APIView):
    @extend_schema(
        operation_id="cards_retrieve",
        tags=["Cards"],
        responses={200: CardDetailOutput, **error_responses(400, 401, 403, 404, 429)},
        summary="A card, its customer and its recent transactions",
        description="A number whose check digit is wrong answers 400 `invalid` before any lookup.",
    )
    def get(self, request: Request, card_number: str) -> Response:
        card: LoyaltyCard = get_card(card_number=card_number, store=self.api_key().store)
        card.recent = recent_transactions(card=card)  # type: ignore[attr-defined]
        return Response(CardDetailOutput(card, context={"request": request}).data)
