"""Staff PIN management for integrators. The PIN itself is never returned or logged."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import IDEMPOTENCY_PARAMETER, error_responses, idempotent, restricted_store
from common.errors import NotFound
from programs.selectors import store_for_caller
from staff.api.serializers import StaffPinCreateInput, StaffPinOutput, StaffPinUpdateInput
from staff.models import StaffPin
from staff.services import create_staff_pin, deactivate_staff_pin, update_staff_pin


class _StaffPinsApi(APIView):
    def _pins(self):  # type: ignore[no-untyped-def]
        qs = StaffPin.objects.select_related("store").order_by("store__name", "name", "pk")
        store = restricted_store(self.request)
        return qs.filter(store=store) if store is not None else qs


class StaffPinListCreateApi(_StaffPinsApi):
    @extend_schema(
        operation_id="pins_list",
        tags=["Staff PINs"],
        responses={200: StaffPinOutput(many=True), **error_responses(401, 403, 406, 429)},
        summary="List staff PINs (never the PINs themselves)",
    )
    def get(self, request: Request) -> Response:
        return Response(StaffPinOutput(self._pins(), many=True).data)

    @extend_schema(
        operation_id="pins_create",
        tags=["Staff PINs"],
        parameters=[IDEMPOTENCY_PARAMETER],
        request=StaffPinCreateInput,
        responses={201: StaffPinOutput, **error_responses(400, 401, 403, 406, 415, 429)},
        summary="Give a staff member a PIN at a store",
        description="4 to 6 digits, not one digit repeated nor a run like 1234, and "
        "not already used by another staff member of the store.",
    )
    def post(self, request: Request) -> Response:
        data = StaffPinCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        store = store_for_caller(
            code=fields["store_code"], restricted_to=restricted_store(self.request)
        )

        def create() -> Response:
            staff_pin = create_staff_pin(store=store, name=fields["name"], pin=fields["pin"])
            return Response(StaffPinOutput(staff_pin).data, status=status.HTTP_201_CREATED)

        return idempotent(request, create)


class StaffPinDetailApi(_StaffPinsApi):
    def _pin(self, pin_id: int) -> StaffPin:
        staff_pin = self._pins().filter(pk=pin_id).first()
        if staff_pin is None:
            raise NotFound(_("There is no staff PIN with this id."))
        return staff_pin

    @extend_schema(
        operation_id="pins_partial_update",
        tags=["Staff PINs"],
        parameters=[IDEMPOTENCY_PARAMETER],
        request=StaffPinUpdateInput,
        responses={200: StaffPinOutput, **error_responses(400, 401, 403, 404, 406, 415, 429)},
        summary="Rename, change the PIN, (de)activate or unlock",
        description="`unlock: true` clears a lockout; a new `pin` clears it too.",
    )
    def patch(self, request: Request, pin_id: int) -> Response:
        staff_pin = self._pin(pin_id)
        data = StaffPinUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)

        def update() -> Response:
            changed = update_staff_pin(staff_pin=staff_pin, **data.validated_data)
            return Response(StaffPinOutput(changed).data)

        return idempotent(request, update)

    @extend_schema(
        operation_id="pins_destroy",
        tags=["Staff PINs"],
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            204: OpenApiResponse(description="deactivated"),
            **error_responses(401, 403, 404, 406, 415, 429),
        },
        summary="Deactivate a PIN",
        description="PINs are deactivated, not deleted: the ledger keeps naming who did what.",
    )
    def delete(self, request: Request, pin_id: int) -> Response:
        staff_pin = self._pin(pin_id)

        def deactivate() -> Response:
            deactivate_staff_pin(staff_pin=staff_pin)
            return Response(status=status.HTTP_204_NO_CONTENT)

        return idempotent(request, deactivate)
