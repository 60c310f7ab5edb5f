"""Public enrollment and the vendor card endpoints. Views parse, call a service or selector,
and render; rules live in ``cards.services`` and ``cards.selectors``."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cards.api.filters import TransactionFilter
from cards.api.serializers import (
    CardDetailOutput,
    CardLinkInput,
    CardLinkSentOutput,
    CardOutput,
    CustomerDetailOutput,
    CustomerEnrollInput,
    CustomerUpdateInput,
    EnrollInput,
    OperationOutput,
    PointsInput,
    PointsRedeemInput,
    StampInput,
    StampRedeemInput,
    TransactionListOutput,
)
from cards.exports import transactions_csv_response
from cards.models import Customer, LoyaltyCard, LoyaltyTransaction, TransactionSource
from cards.selectors import (
    get_card,
    get_customer,
    recent_transactions,
    search_cards,
    search_customers,
    transaction_queryset,
)
from cards.services import (
    StaffAuth,
    add_points,
    add_stamps,
    enroll_customer,
    enroll_trusted,
    erase_customer,
    export_customer,
    redeem_points,
    redeem_stamps,
    request_card_link,
    send_card_link_after_commit,
    update_customer,
)
from common.api import (
    IDEMPOTENCY_PARAMETER,
    ErrorSerializer,
    error_responses,
    idempotent,
    restricted_store,
)
from common.csv import CsvRenderer
from common.request_meta import RequestMeta
from common.throttling import ClientIpRateThrottle
from programs.selectors import store_for_caller


class EnrollThrottle(ClientIpRateThrottle):
    scope = "enroll"


def card_link_sent() -> Response:
    """202: if the address has a card, its link went there. Public endpoints answer only this
    about existing cards."""
    body = {
        "code": "card_link_sent",
        "detail": _("If this address has a card, we sent its link there."),
    }
    return Response(body, status=status.HTTP_202_ACCEPTED)


class EnrollApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [EnrollThrottle]

    @extend_schema(
        operation_id="enroll",
        tags=["Public"],
        request=EnrollInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: CardOutput,
            202: CardLinkSentOutput,
            **error_responses(400, 404, 406, 409, 415, 429),
        },
        summary="Enrol a customer at a store",
        description="Creates the customer and a card for the store's programme (201). When the "
        "e-mail already has a card for it, answers 202 `card_link_sent` with no card data and "
        "e-mails the card's link to that address: a public caller never sees an existing card. "
        "Errors: unknown store `not_found`, store not enrolling `store_inactive`, no active "
        "programme `program_inactive`.",
    )
    def post(self, request: Request, store_code: str) -> Response:
        data = EnrollInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data

        def enroll() -> Response:
            enrollment = enroll_customer(
                store_code=store_code,
                name=fields["name"],
                email=fields["email"],
                phone=fields["phone"],
                marketing_consent=fields["marketing_consent"],
                locale=fields.get("locale") or translation.get_language() or "en",
                birthday=fields["birthday"],
            )
            if not enrollment.may_be_shown_to_anyone:
                # Whoever typed this e-mail may not be its owner: the link goes to the address.
                send_card_link_after_commit(
                    card_id=enrollment.card.pk, host=request.tenant.domain_url
                )
                return card_link_sent()
            body = CardOutput(enrollment.card, context={"request": request}).data
            return Response(body, status=status.HTTP_201_CREATED)

        return idempotent(request, enroll)


class CardLinkApi(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    # One budget with enrollment (same scope): either can send a card's link.
    throttle_classes = [EnrollThrottle]

    @extend_schema(
        operation_id="card_link",
        tags=["Public"],
        request=CardLinkInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: CardLinkSentOutput, **error_responses(400, 404, 406, 415, 429)},
        summary="E-mail a customer their card's link",
        description="Always 202 `card_link_sent`: when the e-mail has a card for the store's "
        "programme, the card page's link is e-mailed to that address; the answer is the same "
        "when it has none. Unknown store: `not_found`.",
    )
    def post(self, request: Request, store_code: str) -> Response:
        data = CardLinkInput(data=request.data)
        data.is_valid(raise_exception=True)

        def send() -> Response:
            request_card_link(
                store_code=store_code,
                email=data.validated_data["email"],
                host=request.tenant.domain_url,
            )
            return card_link_sent()

        return idempotent(request, send)


class CardListApi(generics.ListAPIView):
    serializer_class = CardOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no key
            return LoyaltyCard.objects.none()
        params = self.request.query_params
        program = params.get("program", "")
        return search_cards(
            store=restricted_store(self.request),
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
        responses={200: CardOutput(many=True), **error_responses(400, 401, 403, 406, 429)},
        summary="Search cards",
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


class CardDetailApi(APIView):
    @extend_schema(
        operation_id="cards_retrieve",
        tags=["Cards"],
        responses={200: CardDetailOutput, **error_responses(400, 401, 403, 404, 406, 429)},
        summary="A card, its customer and its recent transactions",
        description="A number whose check digit is wrong answers 400 `invalid` before any lookup.",
    )
    def get(self, request: Request, card_number: str) -> Response:
        card: LoyaltyCard = get_card(card_number=card_number, store=restricted_store(self.request))
        card.recent = recent_transactions(card=card)  # type: ignore[attr-defined]
        return Response(CardDetailOutput(card, context={"request": request}).data)


# --- Operations: stamps, points, redemptions


class CardOperationApi(APIView):
    """Shared by the four operations: parse, say who acts and from where, call the service once
    per Idempotency-Key, render."""

    input_serializer: type[serializers.Serializer]

    def perform(self, fields: dict[str, Any], **common: Any) -> LoyaltyTransaction:
        raise NotImplementedError

    def post(self, request: Request) -> Response:
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        staff = StaffAuth(
            staff_pin_id=fields.pop("staff_pin_id", None), pin=fields.pop("pin", None) or None
        )

        def operate() -> Response:
            txn = self.perform(
                fields,
                staff=staff,
                meta=RequestMeta.from_request(request, source=TransactionSource.API),
                scope_store=restricted_store(request),
            )
            body = OperationOutput(
                {"transaction": txn, "card": txn.card}, context={"request": request}
            )
            return Response(body.data, status=status.HTTP_201_CREATED)

        return idempotent(request, operate)


_OPERATION_ERRORS = error_responses(400, 401, 403, 404, 406, 409, 415, 429)
_RULES = (
    "Refusals: `operation_not_offered` (400: the card's programme does not offer this "
    "operation, e.g. stamps on a points card), `pin_invalid` (with `attempts_remaining`: wrong "
    "PINs left before the lock, when the staff member's PIN was checked), `pin_locked` (with "
    "`locked_until`), "
    "`card_inactive`, `program_inactive`, `idempotency_key_reused`"
)


class StampCreateApi(CardOperationApi):
    input_serializer = StampInput

    @extend_schema(
        operation_id="stamps_create",
        tags=["Operations"],
        request=StampInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: OperationOutput, **_OPERATION_ERRORS},
        summary="Add stamps to a card",
        description=f"{_RULES}, `cooldown_active` (with `retry_after` seconds), "
        "`daily_limit_reached`.",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def perform(self, fields: dict[str, Any], **common: Any) -> LoyaltyTransaction:
        return add_stamps(
            card_number=fields["card_number"],
            quantity=fields["quantity"],
            notes=fields["notes"],
            **common,
        )


class PointsCreateApi(CardOperationApi):
    input_serializer = PointsInput

    @extend_schema(
        operation_id="points_create",
        tags=["Operations"],
        request=PointsInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: OperationOutput, **_OPERATION_ERRORS},
        summary="Credit the points of a purchase",
        description=f"points = floor(purchase_amount_cents / 100 * points_per_euro). {_RULES}.",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def perform(self, fields: dict[str, Any], **common: Any) -> LoyaltyTransaction:
        return add_points(
            card_number=fields["card_number"],
            purchase_amount_cents=fields["purchase_amount_cents"],
            notes=fields["notes"],
            **common,
        )


class StampRedeemApi(CardOperationApi):
    input_serializer = StampRedeemInput

    @extend_schema(
        operation_id="stamps_redeem",
        tags=["Operations"],
        request=StampRedeemInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: OperationOutput, **_OPERATION_ERRORS},
        summary="Redeem a stamp reward",
        description=f"Consumes `stamps_target` stamps. {_RULES}, `insufficient_stamps`.",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def perform(self, fields: dict[str, Any], **common: Any) -> LoyaltyTransaction:
        return redeem_stamps(card_number=fields["card_number"], **common)


class PointsRedeemApi(CardOperationApi):
    input_serializer = PointsRedeemInput

    @extend_schema(
        operation_id="points_redeem",
        tags=["Operations"],
        request=PointsRedeemInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: OperationOutput, **_OPERATION_ERRORS},
        summary="Redeem a points reward",
        description=f"Deducts the reward's `points_cost`. {_RULES}, `insufficient_points`.",
    )
    def post(self, request: Request) -> Response:
        return super().post(request)

    def perform(self, fields: dict[str, Any], **common: Any) -> LoyaltyTransaction:
        return redeem_points(
            card_number=fields["card_number"], reward_id=fields["reward_id"], **common
        )


# --- The ledger


class TransactionListApi(generics.ListAPIView):
    serializer_class = TransactionListOutput
    filterset_class = TransactionFilter
    renderer_classes = [JSONRenderer, CsvRenderer]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return LoyaltyTransaction.objects.none()
        return transaction_queryset(store=restricted_store(self.request))

    @extend_schema(
        operation_id="transactions_list",
        tags=["Transactions"],
        parameters=[
            OpenApiParameter(
                "format", str, enum=["json", "csv"], description="`csv` exports every matching row"
            )
        ],
        responses={
            (200, "application/json"): TransactionListOutput(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="`format=csv` or `Accept: text/csv`: every row"
            ),
            **error_responses(400, 401, 403, 406, 429),
            404: OpenApiResponse(ErrorSerializer, description="`not_found`: unknown `format`"),
        },
        summary="The ledger, filtered; CSV export",
        description="Each row names its card (`card_number`) and, for the audit, the IP address "
        "and User-Agent of the request that made it: personal data of the customer or the "
        "cashier, to be handled as such.",
    )
    def get(self, request: Request, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if request.accepted_renderer.format != "csv":
            return super().get(request, *args, **kwargs)
        # The filters are validated here (a bad one is a 400 before anything is sent).
        return transactions_csv_response(self.filter_queryset(self.get_queryset()))


# --- Customers, for Wizamart and POS systems


class CustomerListCreateApi(generics.ListAPIView):
    serializer_class = CustomerDetailOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return Customer.objects.none()
        params = self.request.query_params
        return search_customers(
            store=restricted_store(self.request),
            email=params.get("email", ""),
            phone=params.get("phone", ""),
            name=params.get("name", ""),
            external_id=params.get("external_id", ""),
        )

    @extend_schema(
        operation_id="customers_list",
        tags=["Customers"],
        parameters=[
            OpenApiParameter("email", str, description="the e-mail address, however capitalised"),
            OpenApiParameter("phone", str, description="part of the phone number, as stored"),
            OpenApiParameter("name", str, description="part of the name"),
            OpenApiParameter("external_id", str, description="your id of the customer, exactly"),
        ],
        responses={
            200: CustomerDetailOutput(many=True),
            **error_responses(400, 401, 403, 406, 429),
        },
        summary="Search customers",
        description="Criteria given together must all match. A key restricted to a store sees "
        "the customers with a card there, and only that card.",
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="customers_create",
        tags=["Customers"],
        request=CustomerEnrollInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: CardOutput,
            200: CardOutput,
            **error_responses(400, 401, 403, 406, 409, 415, 429),
        },
        summary="Enrol a customer (trusted): their card at a store",
        description="The customer is the one with this `external_id`, else the one with this "
        "e-mail, else a new one. Answers the card for the store's programme: 201 when it was "
        "created, 200 when the customer already had it. An existing customer's details are not "
        "changed (use PATCH), except that one without an `external_id` is linked to the one sent. "
        "A key restricted to a store may only name that store (another code is 400 `invalid`). "
        "Refusals (409): `customer_conflict` (the e-mail and the `external_id` belong to two "
        "customers, or the e-mail's customer has another `external_id`), `store_inactive`, "
        "`program_inactive`, `idempotency_key_reused`.",
    )
    def post(self, request: Request) -> Response:
        data = CustomerEnrollInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        store = store_for_caller(code=fields["store_code"], restricted_to=restricted_store(request))

        def enroll() -> Response:
            enrollment = enroll_trusted(
                store=store,
                name=fields["name"],
                email=fields["email"],
                phone=fields["phone"],
                external_id=fields["external_id"],
                marketing_consent=fields["marketing_consent"],
                locale=fields.get("locale") or translation.get_language() or "en",
                birthday=fields["birthday"],
            )
            body = CardOutput(enrollment.card, context={"request": request}).data
            return Response(body, status=status.HTTP_201_CREATED if enrollment.created else 200)

        return idempotent(request, enroll)


class CustomerDetailApi(APIView):
    @extend_schema(
        operation_id="customers_retrieve",
        tags=["Customers"],
        responses={200: CustomerDetailOutput, **error_responses(401, 403, 404, 406, 429)},
        summary="A customer and their cards",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = get_customer(customer_id=customer_id, store=restricted_store(request))
        return Response(CustomerDetailOutput(customer).data)

    @extend_schema(
        operation_id="customers_partial_update",
        tags=["Customers"],
        request=CustomerUpdateInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: CustomerDetailOutput,
            **error_responses(400, 401, 403, 404, 406, 409, 415, 429),
        },
        summary="Change a customer's details",
        description="Any of `name`, `email`, `phone`, `locale`, `marketing_consent`, "
        "`external_id`, `birthday` (MM-DD; blank or null forgets it). An e-mail or "
        "`external_id` another customer has is refused with 409 "
        "`customer_conflict` (customers are never merged); a blank `external_id` unlinks.",
    )
    def patch(self, request: Request, customer_id: int) -> Response:
        store = restricted_store(request)
        customer = get_customer(customer_id=customer_id, store=store)
        data = CustomerUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)

        def update() -> Response:
            update_customer(customer_id=customer.pk, **data.validated_data)
            changed = get_customer(customer_id=customer.pk, store=store)
            return Response(CustomerDetailOutput(changed).data)

        return idempotent(request, update)


# --- A customer's data rights


def _whole_merchant_key(request: Request) -> None:
    # A customer's data spans every store of the merchant: a key limited to one store sees only a
    # part of it, and must not erase what it cannot see.
    if restricted_store(request) is not None:
        raise exceptions.PermissionDenied(
            _(
                "A key restricted to a store cannot export or erase a customer's data: use a key "
                "valid at every store."
            )
        )


def _api_caller(request: Request) -> str:
    return f"api-key:{getattr(request.auth, 'name', '')}"


_RIGHTS_ERRORS = "A key restricted to a store is refused (403 `permission_denied`)."


class CustomerExportApi(APIView):
    @extend_schema(
        operation_id="customers_export",
        tags=["Customers"],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Everything held about the customer: `customer` (profile, marketing "
                "consent and its time), `cards` (balances, `transactions`: every ledger row, "
                "`wallets`: Apple devices and Google object), sent as an attachment.",
            ),
            **error_responses(401, 403, 404, 406, 429),
        },
        summary="Export a customer's data (JSON)",
        description=f"Recorded for the merchant as a data export. {_RIGHTS_ERRORS}",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        _whole_merchant_key(request)
        customer = get_customer(customer_id=customer_id)
        data = export_customer(customer=customer, requested_by=_api_caller(request))
        response = Response(data)
        response["Content-Disposition"] = (
            f'attachment; filename="customer-{customer.pk}-export.json"'
        )
        return response


class CustomerEraseApi(APIView):
    @extend_schema(
        operation_id="customers_erase",
        tags=["Customers"],
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: CustomerDetailOutput,
            **error_responses(401, 403, 404, 406, 409, 415, 429),
        },
        summary="Erase a customer's personal data",
        description="Name, e-mail, phone and external ID are replaced or cleared, the client "
        "address and user agent of the ledger rows on the customer's cards are forgotten, every "
        "card is blocked (its passes show it voided, its Apple devices are forgotten) and its "
        "page link changes. The customer and the ledger stay (anonymous), so balances and "
        "figures are unchanged. Erasing an erased customer answers the same. Recorded for the "
        f"merchant as an erasure. {_RIGHTS_ERRORS}",
    )
    def post(self, request: Request, customer_id: int) -> Response:
        _whole_merchant_key(request)
        customer = get_customer(customer_id=customer_id)

        def erase() -> Response:
            erase_customer(customer=customer, requested_by=_api_caller(request))
            return Response(CustomerDetailOutput(get_customer(customer_id=customer.pk)).data)

        return idempotent(request, erase)
