"""The vendor statistics endpoint: parse the range, call ``insights.selectors.merchant_stats``,
render it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import error_responses, restricted_store
from insights.api.serializers import StatsOutput
from insights.selectors import merchant_stats
from programs.exceptions import StoreNotFound
from programs.models import Store
from programs.selectors import store_by_code

DEFAULT_DAYS = 30
MAX_DAYS = 366
# Dates a merchant can mean; outside them the day arithmetic (and PostgreSQL) would overflow.
EARLIEST = date(1970, 1, 1)
LATEST = date(9998, 12, 31)


class StatsInput(serializers.Serializer):
    store = serializers.CharField(required=False, max_length=100)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    def validate(self, attrs: dict) -> dict:
        for name in ("since", "until"):
            day = attrs.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                raise serializers.ValidationError(
                    {
                        name: [
                            _("Give a date between %(earliest)s and %(latest)s.")
                            % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
                        ]
                    },
                    code="date_out_of_range",
                )
        until = attrs.get("until") or timezone.localdate()
        since = attrs.get("since") or max(until - timedelta(days=DEFAULT_DAYS - 1), EARLIEST)
        if since > until:
            raise serializers.ValidationError(
                {"since": [_("The first day comes after the last day.")]}, code="since_after_until"
            )
        if (until - since).days + 1 > MAX_DAYS:
            raise serializers.ValidationError(
                {"until": [_("Ask for at most %(days)s days at once.") % {"days": MAX_DAYS}]},
                code="range_too_long",
            )
        attrs["since"], attrs["until"] = since, until
        return attrs


def stats_store(*, code: str | None, restricted_to: Store | None) -> Store | None:
    """The store the figures are for: the key's own store for a key restricted to one (another
    code is refused as an unknown one), else the store named, else every store (None)."""
    if not code:
        return restricted_to
    store = store_by_code(code)
    if store is None or (restricted_to is not None and restricted_to != store):
        raise serializers.ValidationError({"store": [StoreNotFound.default_message]})
    return store


class StatsApi(APIView):
    @extend_schema(
        operation_id="stats_retrieve",
        tags=["Statistics"],
        parameters=[
            OpenApiParameter("store", str, description="a store code (default: every store)"),
            OpenApiParameter("since", date, description="first day, YYYY-MM-DD"),
            OpenApiParameter("until", date, description="last day, YYYY-MM-DD (default: today)"),
        ],
        responses={200: StatsOutput, **error_responses(400, 401, 403, 406, 429)},
        summary="Figures of the programme: cards, activity, rewards, cohorts, wallets, flags",
        description="The days `since` to `until` are both included, in the platform's time zone; "
        "by default the last 30 days up to today, at most 366 days at once. A key restricted "
        "to a store sees that store's figures only (naming another store is 400 `invalid`, as "
        "an unknown code is). Bad or out-of-range dates, `since` after `until` or too long a "
        "range: 400 `invalid` with the field's error. The definitions of every figure are "
        "those of `insights.selectors` (README, Statistics).",
    )
    def get(self, request: Request) -> Response:
        data = StatsInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        store = stats_store(code=fields.get("store"), restricted_to=restricted_store(request))
        stats = merchant_stats(store=store, since=fields["since"], until=fields["until"])
        return Response(StatsOutput(asdict(stats)).data)
