from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from common.validators import refuse_control_characters
from staff.models import StaffPin


class StaffPinOutput(serializers.ModelSerializer):
    store_code = serializers.CharField(source="store.code")
    is_locked = serializers.SerializerMethodField()

    class Meta:
        model = StaffPin
        fields = [
            "id",
            "store_code",
            "name",
            "is_active",
            "is_locked",
            "locked_until",
            "failed_attempts",
            "last_used_at",
            "created_at",
        ]

    def get_is_locked(self, staff_pin: StaffPin) -> bool:
        return staff_pin.is_locked(timezone.now())


class StaffPinCreateInput(serializers.Serializer):
    store_code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=100, validators=[refuse_control_characters])
    pin = serializers.CharField(max_length=32, write_only=True)


class StaffPinUpdateInput(serializers.Serializer):
    name = serializers.CharField(
        max_length=100, required=False, validators=[refuse_control_characters]
    )
    pin = serializers.CharField(max_length=32, required=False, write_only=True)
    is_active = serializers.BooleanField(required=False)
    unlock = serializers.BooleanField(required=False, default=False)
