from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cards.models import LoyaltyTransaction, TransactionType
from cards.numbers import normalise_card_number


class TransactionFilter(django_filters.FilterSet):
    card_number = django_filters.CharFilter(method="filter_card_number", help_text=_("card number"))
    store_code = django_filters.CharFilter(
        field_name="store__code", lookup_expr="iexact", help_text=_("store code")
    )
    transaction_type = django_filters.MultipleChoiceFilter(choices=TransactionType.choices)
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text=_("from this instant (ISO 8601)")
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text=_("before this instant (ISO 8601)")
    )

    class Meta:
        model = LoyaltyTransaction
        fields = ["card_number", "store_code", "transaction_type", "since", "until"]

    def filter_card_number(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(card__card_number=normalise_card_number(value))
