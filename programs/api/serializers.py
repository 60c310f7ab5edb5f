from __future__ import annotations

from rest_framework import serializers

from common.validators import refuse_control_characters
from programs.models import LoyaltyProgram, LoyaltyType
from programs.rules import (
    COOLDOWN_MINUTES,
    MAX_DAILY_STAMPS,
    POINTS_EXPIRATION_DAYS,
    POINTS_PER_EURO,
    REWARD_ID_MAX_LENGTH,
    REWARD_NAME_MAX_LENGTH,
    STAMPS_TARGET,
    card_color_validator,
    normalise_rewards,
)
from programs.wallet_ids import wallet_ids


class RewardSerializer(serializers.Serializer):
    """A points reward. Only the types are read here: the rules are the whole list's (see
    ``ProgramUpdateInput.validate_points_rewards``)."""

    id = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"Lower-case letters, digits and hyphens, up to {REWARD_ID_MAX_LENGTH}; made "
        "from the name if left out. Unique in the list.",
    )
    name = serializers.CharField(
        allow_blank=True,
        validators=[refuse_control_characters],
        help_text=f"Up to {REWARD_NAME_MAX_LENGTH} characters. Unique in the list, whatever the "
        "case.",
    )
    points_cost = serializers.IntegerField(help_text="At least 1.")


class ProgramOutput(serializers.ModelSerializer):
    store_codes = serializers.SerializerMethodField(
        help_text="The participating stores, by name: the programme's cards are valid at each."
    )
    store_code = serializers.SerializerMethodField(
        help_text="The first of `store_codes` (kept for integrations written for one store)."
    )
    points_rewards = RewardSerializer(many=True)
    # Kept by wallets, read through the seam (programs.wallet_ids); empty: the platform's.
    google_issuer_id = serializers.SerializerMethodField()
    apple_pass_type_id = serializers.SerializerMethodField()

    class Meta:
        model = LoyaltyProgram
        fields = [
            "id",
            "store_code",
            "store_codes",
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

    def get_store_codes(self, program: LoyaltyProgram) -> list[str]:
        # program_queryset prefetches them by name; sorted here too for a programme just saved.
        return [s.code for s in sorted(program.stores.all(), key=lambda s: (s.name, s.pk))]

    def get_store_code(self, program: LoyaltyProgram) -> str:
        return next(iter(self.get_store_codes(program)), "")

    def get_google_issuer_id(self, program: LoyaltyProgram) -> str:
        return wallet_ids(program)["google_issuer_id"]

    def get_apple_pass_type_id(self, program: LoyaltyProgram) -> str:
        return wallet_ids(program)["apple_pass_type_id"]


class ProgramUpdateInput(serializers.Serializer):
    """Every field optional (PATCH); the model's rules are checked by the service. The limits are
    the ones the back office's form checks, with the same messages (``programs.rules``)."""

    loyalty_type = serializers.ChoiceField(choices=LoyaltyType.choices, required=False)
    stamps_target = serializers.IntegerField(
        validators=STAMPS_TARGET.validators(), required=False, allow_null=True
    )
    stamps_reward_description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, validators=[refuse_control_characters]
    )
    points_per_euro = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=POINTS_PER_EURO.validators(),
        required=False,
        allow_null=True,
    )
    points_rewards = RewardSerializer(many=True, required=False)
    points_expiration_days = serializers.IntegerField(
        validators=POINTS_EXPIRATION_DAYS.validators(), required=False, allow_null=True
    )
    cooldown_minutes = serializers.IntegerField(
        validators=COOLDOWN_MINUTES.validators(), required=False
    )
    max_daily_stamps = serializers.IntegerField(
        validators=MAX_DAILY_STAMPS.validators(), required=False
    )
    require_staff_pin = serializers.BooleanField(required=False)
    card_name = serializers.CharField(
        max_length=100, required=False, validators=[refuse_control_characters]
    )
    card_color = serializers.CharField(validators=[card_color_validator], required=False)
    logo_url = serializers.URLField(required=False, allow_blank=True)
    google_issuer_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    apple_pass_type_id = serializers.CharField(max_length=128, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)

    def validate_points_rewards(self, rewards: list[dict]) -> list[dict]:
        # The model's rule, on the whole list: a list is refused here with the same messages
        # as in the back office.
        return normalise_rewards([dict(reward) for reward in rewards])


class ProgramStoresInput(serializers.Serializer):
    store_codes = serializers.ListField(
        child=serializers.CharField(max_length=40),
        min_length=1,
        max_length=500,
        required=False,
        help_text="The participating stores (at least one); a store takes part in one programme "
        "at most (409 `program_exists`). Only a key for every store may set them.",
    )


class ProgramChangeInput(ProgramUpdateInput, ProgramStoresInput):
    pass


class ProgramCreateInput(ProgramChangeInput):
    store_code = serializers.CharField(
        max_length=40, required=False, help_text="The one participating store (or `store_codes`)."
    )
    loyalty_type = serializers.ChoiceField(choices=LoyaltyType.choices)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("store_code") and not attrs.get("store_codes"):
            raise serializers.ValidationError(
                {"store_codes": ["Give the participating stores: `store_codes` or `store_code`."]}
            )
        return attrs
