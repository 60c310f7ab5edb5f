from __future__ import annotations

from datetime import UTC, datetime, timedelta

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from cards.models import LoyaltyTransaction, TransactionType
from cards.numbers import normalise_card_number

# PostgreSQL's bounds for a time zone offset: a wider one (ISO 8601 allows ±23:59) was a
# DataError, a 500, and in a CSV export a truncated file after its 200.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


class InstantField(IsoDateTimeField):
    """An ISO 8601 instant, refused (400 ``invalid``) when PostgreSQL could not compare it."""

    def to_python(self, value: object) -> datetime | None:
        instant = super().to_python(value)
        if instant is None:
            return None
        offset = instant.utcoffset()
        try:
            if offset is not None and abs(offset) > MAX_UTC_OFFSET:
                raise OverflowError
            # In UTC it must still be a date Python (and the database) can hold.
            return instant.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = InstantField


class TransactionFilter(django_filters.FilterSet):
    card_number = django_filters.CharFilter(method="filter_card_number", help_text=_("card number"))
    store_code = django_filters.CharFilter(
        field_name="store__code", lookup_expr="iexact", help_text=_("store code")
    )
    transaction_type = django_filters.MultipleChoiceFilter(choices=TransactionType.choices)
    since = InstantFilter(
        field_name="created_at", lookup_expr="gte", help_text=_("from this instant (ISO 8601)")
    )
    until = InstantFilter(
        field_name="created_at", lookup_expr="lt", help_text=_("before this instant (ISO 8601)")
    )

    class Meta:
        model = LoyaltyTransaction
        fields = ["card_number", "store_code", "transaction_type", "since", "until"]

    def filter_card_number(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(card__card_number=normalise_card_number(value))
