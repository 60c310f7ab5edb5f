"""Programme management for integrators: list, create, read, change."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import IDEMPOTENCY_PARAMETER, error_responses, idempotent, restricted_store
from common.errors import NotFound
from programs.api.serializers import ProgramCreateInput, ProgramOutput, ProgramUpdateInput
from programs.selectors import program_queryset, store_for_caller
from programs.services import create_program, update_program


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
        summary="Create a store's programme",
        description="One programme per store: a second answers 409 `program_exists`.",
    )
    def post(self, request: Request) -> Response:
        data = ProgramCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        store = store_for_caller(
            code=fields.pop("store_code"), restricted_to=restricted_store(self.request)
        )

        def create() -> Response:
            program = create_program(store=store, **fields)
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
        request=ProgramUpdateInput,
        responses={200: ProgramOutput, **error_responses(400, 401, 403, 404, 406, 415, 429)},
        summary="Change a programme",
    )
    def patch(self, request: Request, program_id: int) -> Response:
        program = self._program(program_id)
        data = ProgramUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)

        def update() -> Response:
            changed = update_program(program=program, **data.validated_data)
            return Response(ProgramOutput(changed).data)

        return idempotent(request, update)
