"""Programme management for integrators: list, create, read, change."""

from __future__ import annotations

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
from programs.api.serializers import ProgramChangeInput, ProgramCreateInput, ProgramOutput
from programs.models import Store
from programs.selectors import program_queryset, store_for_caller
from programs.services import create_program, set_program_stores, update_program


def _stores(request: Request, codes: list[str]) -> list[Store]:
    """The stores an API body names (``store_codes``), each checked as ``store_for_caller`` does;
    the error names the field the caller used."""
    restricted = restricted_store(request)
    stores = []
    for code in codes:
        try:
            stores.append(store_for_caller(code=code, restricted_to=restricted))
        except DjangoValidationError as error:
            raise DjangoValidationError({"store_codes": error.message_dict["store_code"]}) from None
    return list(dict.fromkeys(stores))


class ProgramListCreateApi(APIView):
    @extend_schema(
        operation_id="programs_list",
        tags=["Programmes"],
        responses={200: ProgramOutput(many=True), **error_responses(401, 403, 406, 429)},
        summary="List programmes",
    )
    def get(self, request: Request) -> Response:
        programs = program_queryset(store=restricted_store(self.request))
        return Response(ProgramOutput(programs, many=True).data)

    @extend_schema(
        operation_id="programs_create",
        tags=["Programmes"],
        parameters=[IDEMPOTENCY_PARAMETER],
        request=ProgramCreateInput,
        responses={201: ProgramOutput, **error_responses(400, 401, 403, 406, 409, 415, 429)},
        summary="Create a programme",
        description="Offered at `store_codes` (or the one `store_code`). A store takes part in "
        "one programme at most: a store already in one answers 409 `program_exists`.",
    )
    def post(self, request: Request) -> Response:
        data = ProgramCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if code := fields.pop("store_code", ""):
            stores = [store_for_caller(code=code, restricted_to=restricted_store(self.request))]
        else:
            stores = []
        stores += _stores(request, fields.pop("store_codes", []))

        def create() -> Response:
            program = create_program(stores=list(dict.fromkeys(stores)), **fields)
            return Response(ProgramOutput(program).data, status=status.HTTP_201_CREATED)

        return idempotent(request, create)


class ProgramDetailApi(APIView):
    def _program(self, program_id: int):  # type: ignore[no-untyped-def]
        program = (
            program_queryset(store=restricted_store(self.request)).filter(pk=program_id).first()
        )
        if program is None:
            raise NotFound(_("There is no programme with this id."))
        return program

    @extend_schema(
        operation_id="programs_retrieve",
        tags=["Programmes"],
        responses={200: ProgramOutput, **error_responses(401, 403, 404, 406, 429)},
        summary="A programme",
    )
    def get(self, request: Request, program_id: int) -> Response:
        return Response(ProgramOutput(self._program(program_id)).data)

    @extend_schema(
        operation_id="programs_partial_update",
        tags=["Programmes"],
        parameters=[IDEMPOTENCY_PARAMETER],
        request=ProgramChangeInput,
        responses={200: ProgramOutput, **error_responses(400, 401, 403, 404, 406, 409, 415, 429)},
        summary="Change a programme",
        description="`store_codes` replaces the participating stores; a key limited to one store "
        "may not change them (403 `permission_denied`).",
    )
    def patch(self, request: Request, program_id: int) -> Response:
        program = self._program(program_id)
        data = ProgramChangeInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        codes = fields.pop("store_codes", None)
        if codes is not None and restricted_store(request) is not None:
            raise PermissionDenied(_("A key limited to one store cannot change the stores."))
        stores = _stores(request, codes) if codes is not None else None

        def update() -> Response:
            changed = update_program(program=program, **fields)
            if stores is not None:
                changed = set_program_stores(program=changed, stores=stores)
            return Response(ProgramOutput(program_queryset().get(pk=changed.pk)).data)

        return idempotent(request, update)
