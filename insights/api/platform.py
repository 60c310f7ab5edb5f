"""The platform admin API (SPEC §4), on the platform host only: every merchant's programmes and
the platform's figures, from the rolled-up tables of ``insights.platform``.

Who may call it: platform staff, i.e. active users of the public schema with ``is_staff``, signed
in to the platform admin (its session cookie; the API only reads, so no CSRF token is involved).
There are no platform API tokens: a merchant's API keys live in its own schema and mean nothing on
the platform host, and a merchant's users exist only in their schema, so their sessions cannot
reach these views either (the URLs exist on the platform host only).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import OutputSerializer, error_responses
from common.pagination import BoundedLimitOffsetPagination
from insights.platform import (
    DEFAULT_MERCHANT_ORDERING,
    MERCHANT_ORDERINGS,
    merchant_row,
    merchant_rows,
    platform_overview,
    program_directory,
)
from merchants.models import ProgramDirectory
from programs.models import LoyaltyType


class PlatformSessionAuthentication(SessionAuthentication):
    """The platform admin's session. A request without one answers 401 (DRF answers 403 for a
    scheme that names no ``WWW-Authenticate`` challenge)."""

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="platform-admin"'


class IsPlatformStaff(BasePermission):
    message = _("Only platform staff may use the platform admin API.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            # The public schema's users only: a merchant's host never routes here, and this holds
            # even if a URL conf mistake ever did.
            connection.schema_name == get_public_schema_name()
            and user
            and user.is_authenticated
            and user.is_active
            and user.is_staff
        )


class PlatformSessionScheme(OpenApiAuthenticationExtension):
    target_class = "insights.api.platform.PlatformSessionAuthentication"
    name = "PlatformSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The session of a platform staff member signed in to the platform "
            "admin (`/admin/` on the platform host).",
        }


class PlatformApi(APIView):
    authentication_classes = [PlatformSessionAuthentication]
    permission_classes = [IsPlatformStaff]


# --- Serializers


class MerchantFiguresOutput(OutputSerializer):
    merchant_id = serializers.IntegerField()
    slug = serializers.CharField(help_text="The merchant's slug (its schema and sub-domain).")
    name = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    programs = serializers.IntegerField()
    cards = serializers.IntegerField()
    active_cards_30_days = serializers.IntegerField(
        help_text="Cards with an operation in the last 30 days."
    )
    operations_30_days = serializers.IntegerField(
        help_text="Stamps and points earned or redeemed in the last 30 days."
    )
    stamps_30_days = serializers.IntegerField(help_text="Stamps earned in the last 30 days.")
    points_30_days = serializers.IntegerField(help_text="Points earned in the last 30 days.")
    redemptions_30_days = serializers.IntegerField()
    wallet_apple_cards = serializers.IntegerField(
        help_text="Cards with at least one Apple device registered."
    )
    wallet_google_cards = serializers.IntegerField(
        help_text="Cards whose Google Wallet object exists at Google."
    )
    last_operation_at = serializers.DateTimeField(allow_null=True)
    rolled_up_at = serializers.DateTimeField(
        allow_null=True, help_text="When these figures were computed; null: not yet."
    )


class PlatformFiguresOutput(OutputSerializer):
    merchants = serializers.IntegerField()
    active_merchants = serializers.IntegerField(help_text="Merchants not deactivated.")
    merchants_with_operations_30_days = serializers.IntegerField()
    programs = serializers.IntegerField()
    cards = serializers.IntegerField()
    active_cards_30_days = serializers.IntegerField()
    operations_30_days = serializers.IntegerField()
    stamps_30_days = serializers.IntegerField()
    points_30_days = serializers.IntegerField()
    redemptions_30_days = serializers.IntegerField()
    wallet_apple_cards = serializers.IntegerField()
    wallet_google_cards = serializers.IntegerField()
    oldest_rollup_at = serializers.DateTimeField(
        allow_null=True, help_text="The oldest merchant figures the sums include."
    )
    newest_rollup_at = serializers.DateTimeField(allow_null=True)


class PlatformStatsOutput(OutputSerializer):
    platform = PlatformFiguresOutput()
    count = serializers.IntegerField(help_text="Merchants in all.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = MerchantFiguresOutput(many=True, help_text="One page of per-merchant rows.")


class ProgramDirectoryOutput(OutputSerializer):
    merchant = serializers.CharField(source="merchant.schema_name", help_text="The slug.")
    merchant_name = serializers.CharField(source="merchant.name")
    program_id = serializers.IntegerField(help_text="The programme's id in its merchant.")
    name = serializers.CharField(help_text="The card's name.")
    store_code = serializers.CharField()
    store_name = serializers.CharField()
    loyalty_type = serializers.ChoiceField(choices=LoyaltyType.choices)
    is_active = serializers.BooleanField()
    cards = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(help_text="When this row was rolled up.")


# --- Views


class ProgramsInput(serializers.Serializer):
    merchant = serializers.CharField(required=False, max_length=63)
    loyalty_type = serializers.ChoiceField(choices=LoyaltyType.choices, required=False)
    # allow_null: an absent flag is "either", not False (DRF's default for query strings).
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(required=False, max_length=100)


class PlatformProgramListApi(generics.ListAPIView):
    authentication_classes = [PlatformSessionAuthentication]
    permission_classes = [IsPlatformStaff]
    serializer_class = ProgramDirectoryOutput
    pagination_class = BoundedLimitOffsetPagination
    filter_backends: list = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if getattr(self, "swagger_fake_view", False):
            return ProgramDirectory.objects.none()
        data = ProgramsInput(data=self.request.query_params)
        data.is_valid(raise_exception=True)
        return program_directory(**data.validated_data)

    @extend_schema(
        operation_id="platform_programs_list",
        tags=["Platform"],
        parameters=[
            OpenApiParameter("merchant", str, description="a merchant's slug"),
            OpenApiParameter("loyalty_type", str, enum=LoyaltyType.values),
            OpenApiParameter("is_active", bool),
            OpenApiParameter(
                "search", str, description="part of the card name, store name or merchant name"
            ),
        ],
        responses={
            200: ProgramDirectoryOutput(many=True),
            **error_responses(400, 401, 403, 406),
        },
        summary="Every merchant's programmes",
        description="From the platform's rolled-up directory (README, Platform API): a "
        "programme appears, and its figures change, at its merchant's next roll-up (seconds "
        "after a change, at most 15 minutes). Platform staff only.",
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


ORDERING_CHOICES = sorted(
    [name for name in MERCHANT_ORDERINGS] + [f"-{name}" for name in MERCHANT_ORDERINGS]
)


class StatsInput(serializers.Serializer):
    ordering = serializers.ChoiceField(
        choices=ORDERING_CHOICES, required=False, default=DEFAULT_MERCHANT_ORDERING
    )


class PlatformStatsApi(PlatformApi):
    @extend_schema(
        operation_id="platform_stats_retrieve",
        tags=["Platform"],
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=ORDERING_CHOICES,
                description="sort of the per-merchant rows; `-` for descending "
                f"(default `{DEFAULT_MERCHANT_ORDERING}`)",
            ),
            OpenApiParameter("limit", int, description="merchants per page (at most 1000)"),
            OpenApiParameter("offset", int),
        ],
        responses={200: PlatformStatsOutput, **error_responses(400, 401, 403, 406)},
        summary="The platform's figures and one page of per-merchant figures",
        description="Sums of every merchant's rolled-up figures (the definitions of the "
        "merchant's own statistics: operations are stamps and points earned or redeemed; the "
        "30 days end today), with the oldest and newest roll-up they include. Platform staff "
        "only.",
    )
    def get(self, request: Request) -> Response:
        data = StatsInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(
            merchant_rows(ordering=data.validated_data["ordering"]), request, view=self
        )
        body = {
            "platform": asdict(platform_overview(top=0)),
            "count": paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": [asdict(merchant_row(merchant)) for merchant in page or []],
        }
        return Response(PlatformStatsOutput(body).data)
