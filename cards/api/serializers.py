from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cards.links import apple_pass_url, card_page_url, google_save_url
from cards.models import Customer, LoyaltyCard, LoyaltyTransaction


def _host(context: dict[str, Any]) -> str:
    return context["request"].tenant.domain_url


class CustomerOutput(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "locale",
            "marketing_consent",
            "marketing_consent_at",
            "total_spent_cents",
            "external_id",
            "created_at",
        ]


class TransactionOutput(serializers.ModelSerializer):
    store_code = serializers.CharField(source="store.code")

    class Meta:
        model = LoyaltyTransaction
        fields = [
            "id",
            "transaction_type",
            "stamps_delta",
            "points_delta",
            "stamps_after",
            "points_after",
            "purchase_amount_cents",
            "reward_id",
            "reward_description",
            "store_code",
            "staff_pin_id",
            "source",
            "notes",
            "created_at",
        ]


class CardOutput(serializers.ModelSerializer):
    customer = CustomerOutput()
    program_id = serializers.IntegerField()
    loyalty_type = serializers.CharField(source="program.loyalty_type")
    store_code = serializers.CharField(source="program.store.code")
    card_page_url = serializers.SerializerMethodField()
    apple_pass_url = serializers.SerializerMethodField()
    google_save_url = serializers.SerializerMethodField()

    class Meta:
        model = LoyaltyCard
        fields = [
            "card_number",
            "customer",
            "program_id",
            "loyalty_type",
            "store_code",
            "stamp_count",
            "total_stamps_earned",
            "stamps_redeemed",
            "points_balance",
            "total_points_earned",
            "points_redeemed",
            "last_stamp_at",
            "last_points_at",
            "last_activity_at",
            "is_active",
            "created_at",
            "card_page_url",
            "apple_pass_url",
            "google_save_url",
        ]

    @extend_schema_field(serializers.URLField())
    def get_card_page_url(self, card: LoyaltyCard) -> str:
        return card_page_url(card, _host(self.context))

    @extend_schema_field(serializers.URLField())
    def get_apple_pass_url(self, card: LoyaltyCard) -> str:
        return apple_pass_url(card, _host(self.context))

    @extend_schema_field(serializers.URLField())
    def get_google_save_url(self, card: LoyaltyCard) -> str:
        return google_save_url(card, _host(self.context))


class CardDetailOutput(CardOutput):
    recent_transactions = TransactionOutput(many=True, source="recent")

    class Meta(CardOutput.Meta):
        fields = [*CardOutput.Meta.fields, "recent_transactions"]


class EnrollInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    marketing_consent = serializers.BooleanField()
    locale = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], required=False
    )


class StaffInput(serializers.Serializer):
    """Who acts: required when the programme requires a staff PIN."""

    staff_pin_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    pin = serializers.RegexField(
        r"^[0-9]{4,6}$",
        required=False,
        allow_blank=True,
        write_only=True,
        error_messages={"invalid": _("A PIN is 4 to 6 digits.")},
    )


class StampInput(StaffInput):
    card_number = serializers.CharField(max_length=32)
    quantity = serializers.IntegerField(min_value=1, max_value=100, default=1)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PointsInput(StaffInput):
    card_number = serializers.CharField(max_length=32)
    purchase_amount_cents = serializers.IntegerField(min_value=1, max_value=100_000_000)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class StampRedeemInput(StaffInput):
    card_number = serializers.CharField(max_length=32)


class PointsRedeemInput(StaffInput):
    card_number = serializers.CharField(max_length=32)
    reward_id = serializers.CharField(max_length=40)


class OperationOutput(serializers.Serializer):
    transaction = TransactionOutput()
    card = CardOutput()
