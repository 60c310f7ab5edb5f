from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cards.links import card_page_url, wallet_links
from cards.models import LoyaltyCard, TransactionSource, TransactionType, parse_birthday
from cards.services.enrollment import BIRTHDAY_ERROR
from common.api import OutputSerializer
from common.validators import refuse_control_characters
from programs.models import LoyaltyType
from staff.pins import validate_pin_format


def _host(context: dict[str, Any]) -> str:
    return context["request"].tenant.domain_url


# Output serializers are plain Serializers with explicit fields: a ModelSerializer introspects
# the model on every instantiation, which cost more than the whole database work of a stamp; and
# they copy their fields cheaply (OutputSerializer).


class CustomerOutput(OutputSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField()
    locale = serializers.ChoiceField(choices=settings.LANGUAGES)
    marketing_consent = serializers.BooleanField()
    marketing_consent_at = serializers.DateTimeField(allow_null=True)
    total_spent_cents = serializers.IntegerField()
    external_id = serializers.CharField()
    birthday = serializers.CharField(
        allow_null=True, help_text="Day and month as MM-DD; null when not given."
    )
    created_at = serializers.DateTimeField()


class BirthdayField(serializers.CharField):
    """A birthday as "MM-DD" (day and month, no year); blank or null: none. Answers the
    normalised text, "" for none."""

    default_error_messages = {"invalid_birthday": BIRTHDAY_ERROR}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 5)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault(
            "help_text",
            "Optional: day and month as MM-DD (02-29 allowed); blank or null for none. Used for "
            "the birthday message.",
        )
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None:
            return True, ""
        return super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        if not text:
            return ""
        parsed = parse_birthday(text)
        if parsed is None:
            self.fail("invalid_birthday")
        return f"{parsed[0]:02d}-{parsed[1]:02d}"


class TransactionOutput(OutputSerializer):
    id = serializers.IntegerField()
    transaction_type = serializers.ChoiceField(choices=TransactionType.choices)
    stamps_delta = serializers.IntegerField()
    points_delta = serializers.IntegerField()
    stamps_after = serializers.IntegerField()
    points_after = serializers.IntegerField()
    purchase_amount_cents = serializers.IntegerField(allow_null=True)
    reward_id = serializers.CharField()
    reward_description = serializers.CharField()
    store_code = serializers.CharField(source="store.code")
    staff_pin_id = serializers.IntegerField(allow_null=True)
    source = serializers.ChoiceField(choices=TransactionSource.choices)
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()


class TransactionListOutput(TransactionOutput):
    """A row of the ledger list: the transaction with its card and where the request came from
    (as in the CSV export)."""

    card_number = serializers.CharField(source="card.card_number")
    ip_address = serializers.IPAddressField(
        allow_null=True,
        help_text="The address the operation was requested from (personal data: the customer's "
        "or the cashier's); null for operations without a request (expiry, corrections).",
    )
    user_agent = serializers.CharField(
        help_text="The User-Agent header of that request (personal data); blank without one."
    )


class CardOutput(OutputSerializer):
    card_number = serializers.CharField()
    customer = CustomerOutput()
    program_id = serializers.IntegerField()
    loyalty_type = serializers.ChoiceField(
        source="program.loyalty_type", choices=LoyaltyType.choices
    )
    store_code = serializers.CharField(source="store.code")
    stamp_count = serializers.IntegerField()
    total_stamps_earned = serializers.IntegerField()
    stamps_redeemed = serializers.IntegerField()
    points_balance = serializers.IntegerField()
    total_points_earned = serializers.IntegerField()
    points_redeemed = serializers.IntegerField()
    last_stamp_at = serializers.DateTimeField(allow_null=True)
    last_points_at = serializers.DateTimeField(allow_null=True)
    last_activity_at = serializers.DateTimeField(allow_null=True)
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    card_page_url = serializers.SerializerMethodField()
    apple_pass_url = serializers.SerializerMethodField()
    google_save_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField())
    def get_card_page_url(self, card: LoyaltyCard) -> str:
        return card_page_url(card, _host(self.context))

    @extend_schema_field(
        serializers.URLField(
            allow_null=True, help_text="The Apple Wallet pass; null while Apple Wallet is off."
        )
    )
    def get_apple_pass_url(self, card: LoyaltyCard) -> str | None:
        return wallet_links(card, _host(self.context)).apple_pass_url

    @extend_schema_field(
        serializers.URLField(
            allow_null=True,
            help_text="The “Add to Google Wallet” link; null while Google Wallet is off.",
        )
    )
    def get_google_save_url(self, card: LoyaltyCard) -> str | None:
        return wallet_links(card, _host(self.context)).google_save_url


class CardDetailOutput(CardOutput):
    recent_transactions = TransactionOutput(many=True, source="recent")


class EnrollInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, validators=[refuse_control_characters])
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    marketing_consent = serializers.BooleanField()
    locale = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], required=False
    )
    birthday = BirthdayField(required=False, default="")


class CustomerEnrollInput(EnrollInput):
    store_code = serializers.CharField(max_length=40)
    # The customer's own choices: one enum in the schema with the customer's output.
    locale = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The customer's id in Wizamart or your POS: one customer per id.",
    )


class CustomerUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(
        help_text="Refused with 409 `customer_conflict` when another customer has it."
    )
    phone = serializers.CharField(max_length=32, allow_blank=True)
    locale = serializers.ChoiceField(choices=settings.LANGUAGES)
    marketing_consent = serializers.BooleanField(
        help_text="`marketing_consent_at` is set when consent is given and cleared when withdrawn."
    )
    external_id = serializers.CharField(
        max_length=100,
        allow_blank=True,
        help_text="Blank unlinks the customer; another customer's id is refused with 409 "
        "`customer_conflict`.",
    )
    birthday = BirthdayField(
        help_text="Day and month as MM-DD (02-29 allowed); blank or null forgets it."
    )


class CustomerCardOutput(OutputSerializer):
    card_number = serializers.CharField()
    program_id = serializers.IntegerField()
    store_code = serializers.CharField(source="store.code")
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class CustomerDetailOutput(CustomerOutput):
    cards = CustomerCardOutput(
        many=True,
        source="visible_cards",
        help_text="The customer's cards (with a store-restricted key: that store's only).",
    )


class CardLinkInput(serializers.Serializer):
    email = serializers.EmailField()


class CardLinkSentOutput(serializers.Serializer):
    """The neutral answer of public enrollment and of the card-link request: the same whether or
    not the address has a card (SPEC §3, privacy)."""

    code = serializers.ChoiceField(choices=["card_link_sent"])
    detail = serializers.CharField(help_text="A human message, in the request's language.")


class StaffInput(serializers.Serializer):
    """Who acts: required when the programme requires a staff PIN."""

    staff_pin_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    pin = serializers.CharField(
        required=False, allow_blank=True, write_only=True, validators=[validate_pin_format]
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


class OperationOutput(OutputSerializer):
    transaction = TransactionOutput()
    card = CardOutput()
