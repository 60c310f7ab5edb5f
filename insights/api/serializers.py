"""The statistics as JSON: the fields of ``insights.selectors.Stats``, for the schema."""

from __future__ import annotations

from rest_framework import serializers

from common.api import OutputSerializer


class DayFiguresOutput(OutputSerializer):
    day = serializers.DateField()
    enrolments = serializers.IntegerField()
    stamps_earned = serializers.IntegerField()
    points_issued = serializers.IntegerField()
    redemptions = serializers.IntegerField()


class CohortOutput(OutputSerializer):
    week_start = serializers.DateField(help_text="The Monday of the enrolment week.")
    cards = serializers.IntegerField()
    retained = serializers.IntegerField(
        help_text="Cards with an operation 1 to 30 days after their enrolment day."
    )
    retention_rate = serializers.FloatField(allow_null=True)
    complete = serializers.BooleanField(
        help_text="Whether every card of the cohort had its 30 days by `until`."
    )


class StoreOperationsOutput(OutputSerializer):
    store_code = serializers.CharField()
    store_name = serializers.CharField()
    operations = serializers.IntegerField()


class StaffOperationsOutput(OutputSerializer):
    staff_pin_id = serializers.IntegerField()
    name = serializers.CharField()
    store_code = serializers.CharField()
    operations = serializers.IntegerField()


class FlaggedCardOutput(OutputSerializer):
    card_number = serializers.CharField()
    days_at_limit = serializers.IntegerField(
        help_text="Days of the range on which the card got the programme's daily stamp limit."
    )


class FlaggedStaffOutput(StaffOperationsOutput):
    store_median = serializers.FloatField(
        help_text="The median operations of the store's staff members."
    )


class OperationOutsideHoursOutput(OutputSerializer):
    transaction_id = serializers.IntegerField()
    card_number = serializers.CharField()
    staff_name = serializers.CharField(allow_null=True, help_text="null: made without a PIN")
    created_at = serializers.DateTimeField()
    local_time = serializers.CharField(
        help_text="The same moment in the store's time zone (ISO 8601, with its offset)."
    )


class FlaggedStoreHoursOutput(OutputSerializer):
    store_code = serializers.CharField()
    store_name = serializers.CharField()
    timezone = serializers.CharField(help_text="The store's time zone its hours are in.")
    operations = serializers.IntegerField(
        help_text="Operations of the range outside the store's opening hours (15 minutes after "
        "closing still count as inside)."
    )
    examples = OperationOutsideHoursOutput(
        many=True, help_text="The most recent of these operations (up to 5), newest first."
    )


class StatsOutput(OutputSerializer):
    since = serializers.DateField()
    until = serializers.DateField()
    store_code = serializers.CharField(allow_null=True, help_text="null: every store")
    cards_issued = serializers.IntegerField(help_text="Cards created in the range.")
    cards_total = serializers.IntegerField(help_text="Cards created up to `until`.")
    active_cards = serializers.IntegerField(
        help_text="Cards with an operation in the 30 days ending with `until`."
    )
    daily = DayFiguresOutput(many=True)
    rewards_unlocked = serializers.IntegerField()
    rewards_redeemed = serializers.IntegerField()
    redemption_rate = serializers.FloatField(allow_null=True)
    repeat_visit_rate = serializers.FloatField(allow_null=True)
    median_days_to_first_reward = serializers.FloatField(allow_null=True)
    cohorts = CohortOutput(many=True)
    points_outstanding = serializers.IntegerField(help_text="Points on the cards now.")
    points_expiring_30_days = serializers.IntegerField()
    purchase_amount_cents = serializers.IntegerField()
    wallet_apple_cards = serializers.IntegerField()
    wallet_apple_share = serializers.FloatField(allow_null=True)
    wallet_google_cards = serializers.IntegerField(
        help_text="Cards whose Google Wallet object Google holds (whether the customer saved it "
        "is not known to the issuer)."
    )
    wallet_google_share = serializers.FloatField(allow_null=True)
    operations_by_store = StoreOperationsOutput(many=True)
    operations_by_staff = StaffOperationsOutput(many=True)
    flagged_cards = FlaggedCardOutput(many=True)
    flagged_staff = FlaggedStaffOutput(many=True)
    flagged_operations_outside_hours = FlaggedStoreHoursOutput(
        many=True,
        help_text="Per store with opening hours, operations made outside them (stores without "
        "hours are never listed).",
    )
