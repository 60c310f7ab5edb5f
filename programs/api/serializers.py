from __future__ import annotations

from rest_framework import serializers

from programs.models import LoyaltyProgram, LoyaltyType
from programs.wallet_ids import wallet_ids


class RewardSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=40, required=False)
    name = serializers.CharField(max_length=200)
    points_cost = serializers.IntegerField(min_value=1)


class ProgramOutput(serializers.ModelSerializer):
    store_code = serializers.CharField(source="store.code")
    points_rewards = RewardSerializer(many=True)
    # Kept by wallets, read through the seam (programs.wallet_ids); empty: the platform's.
    google_issuer_id = serializers.SerializerMethodField()
    apple_pass_type_id = serializers.SerializerMethodField()

    class Meta:
        model = LoyaltyProgram
        fields = [
            "id",
            "store_code",
            "loyalty_type",
            "stamps_target",
            "stamps_reward_description",
            "points_per_euro",
            "points_rewards",
            "points_expiration_days",
            "cooldown_minutes",
            "max_daily_stamps",
            "require_staff_pin",
            "card_name",
            "card_color",
            "logo_url",
            "google_issuer_id",
            "apple_pass_type_id",
            "is_active",
            "created_at",
            "updated_at",
        ]

    def get_google_issuer_id(self, program: LoyaltyProgram) -> str:
        return wallet_ids(program)["google_issuer_id"]

    def get_apple_pass_type_id(self, program: LoyaltyProgram) -> str:
        return wallet_ids(program)["apple_pass_type_id"]


class ProgramUpdateInput(serializers.Serializer):
    """Every field optional (PATCH); the model's rules are checked by the service."""

    loyalty_type = serializers.ChoiceField(choices=LoyaltyType.choices, required=False)
    stamps_target = serializers.IntegerField(
        min_value=1, max_value=100, required=False, allow_null=True
    )
    stamps_reward_description = serializers.CharField(
        max_length=200, required=False, allow_blank=True
    )
    points_per_euro = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    points_rewards = RewardSerializer(many=True, required=False)
    points_expiration_days = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    cooldown_minutes = serializers.IntegerField(min_value=0, max_value=1440, required=False)
    max_daily_stamps = serializers.IntegerField(min_value=1, max_value=100, required=False)
    require_staff_pin = serializers.BooleanField(required=False)
    card_name = serializers.CharField(max_length=100, required=False)
    card_color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)
    logo_url = serializers.URLField(required=False, allow_blank=True)
    google_issuer_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    apple_pass_type_id = serializers.CharField(max_length=128, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class ProgramCreateInput(ProgramUpdateInput):
    store_code = serializers.CharField(max_length=40)
    loyalty_type = serializers.ChoiceField(choices=LoyaltyType.choices)
