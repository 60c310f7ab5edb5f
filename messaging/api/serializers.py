from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from messaging import selectors
from messaging.models import (
    DETAIL_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Audience,
    Message,
    SkipReason,
)


class WordsSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=TEXT_MAX_LENGTH, help_text="The lock-screen line (at most 90 characters)."
    )
    detail = serializers.CharField(
        max_length=DETAIL_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Optional longer text on the back of the pass.",
    )


class TextsField(serializers.DictField):
    child = WordsSerializer()


class AudienceSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Audience.choices, default=Audience.EVERYONE)
    store_code = serializers.CharField(
        required=False, allow_blank=True, help_text="With `store`: whose customers."
    )
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        help_text="With `no_visit` (no visit for N days) and `new` (enrolled in the last N days).",
    )


class CampaignInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    texts = TextsField(
        help_text="Per language (`"
        + "`, `".join(code for code, _name in settings.LANGUAGES)
        + "`): each customer gets theirs, else the merchant's default language, which is "
        "required."
    )
    audience = AudienceSerializer(required=False)
    program_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Only this programme's cards."
    )
    send_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Later; left out: now."
    )
    send = serializers.BooleanField(
        default=True, help_text="false keeps it as a draft (edited and sent in the back office)."
    )


class PreviewInput(serializers.Serializer):
    audience = AudienceSerializer(required=False)
    program_id = serializers.IntegerField(required=False, allow_null=True)
    send_at = serializers.DateTimeField(required=False, allow_null=True)


class PreviewOutput(serializers.Serializer):
    targeted = serializers.IntegerField(help_text="Cards in the audience.")
    reached = serializers.IntegerField(help_text="Cards it would reach (estimate).")
    apple = serializers.IntegerField(help_text="… on Apple Wallet (estimate).")
    google = serializers.IntegerField(help_text="… on Google Wallet (estimate).")
    holdout = serializers.IntegerField(help_text="Not sent: the 10 % baseline of the report.")
    skipped = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Per reason: " + ", ".join(f"`{value}`" for value in SkipReason.values) + ".",
    )
    waiting = serializers.IntegerField(help_text="Would wait for quiet hours to end.")


class ReportOutput(serializers.Serializer):
    targeted = serializers.IntegerField()
    sent = serializers.IntegerField()
    apple_sent = serializers.IntegerField()
    google_sent = serializers.IntegerField()
    skipped = serializers.DictField(child=serializers.IntegerField())
    waiting = serializers.IntegerField()
    waited = serializers.IntegerField(help_text="Sent after quiet hours ended.")
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()
    holdout = serializers.IntegerField()
    returned = serializers.IntegerField(help_text="Recipients who came to a store within 14 days.")
    holdout_returned = serializers.IntegerField(help_text="The same, of the holdout.")
    return_rate = serializers.FloatField(allow_null=True)
    holdout_return_rate = serializers.FloatField(allow_null=True)
    lift = serializers.FloatField(
        allow_null=True, help_text="Percentage points the message added to the return rate."
    )


class MessageOutput(serializers.ModelSerializer):
    audience = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "kind",
            "name",
            "texts",
            "audience",
            "program_id",
            "send_at",
            "status",
            "started_at",
            "finished_at",
            "trigger",
            "enabled",
            "created_at",
            "report",
        ]

    def get_audience(self, message: Message) -> dict[str, Any]:
        return {
            "type": message.audience,
            "store_code": message.audience_store.code if message.audience_store else None,
            "days": message.days,
        }

    def get_report(self, message: Message) -> dict[str, Any]:
        return dict(ReportOutput(selectors.report(message)).data)
