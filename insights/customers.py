"""The most active customers of a range: the dashboard's "top customers", the rule written once.

A customer's activity is their card's *operations* in the range (``insights.selectors``' own
definition: stamps and points earned or redeemed; corrections and expiries are not activity),
counted at every store or at ``store`` only, like ``merchant_stats``' ledger figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max

from cards.models import LoyaltyTransaction
from insights.selectors import OPERATIONS
from programs.models import Store

TOP_CUSTOMERS = 5


@dataclass(frozen=True)
class TopCustomer:
    card_id: int
    card_number: str
    customer_name: str
    store_name: str
    operations: int
    last_operation_at: datetime


def range_bounds(*, since: date, until: date) -> tuple[datetime, datetime]:
    """The instants the days ``since`` to ``until`` (both included) start and end at, in the
    platform's time zone, as ``merchant_stats`` counts them."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(since, time.min, tzinfo=zone)
    return start, datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)


def top_customers(
    *, store: Store | None = None, since: date, until: date, limit: int = TOP_CUSTOMERS
) -> list[TopCustomer]:
    """The ``limit`` cards with the most operations in the range; ties go to the card seen
    last, then to the older card. One query."""
    start, end = range_bounds(since=since, until=until)
    rows = LoyaltyTransaction.objects.filter(
        transaction_type__in=OPERATIONS, created_at__gte=start, created_at__lt=end
    )
    if store is not None:
        rows = rows.filter(store=store)
    ranked = (
        rows.values("card_id", "card__card_number", "card__customer__name", "card__store__name")
        .annotate(operations=Count("id"), last_at=Max("created_at"))
        .order_by("-operations", "-last_at", "card_id")[:limit]
    )
    return [
        TopCustomer(
            card_id=row["card_id"],
            card_number=row["card__card_number"],
            customer_name=row["card__customer__name"] or "",
            store_name=row["card__store__name"],
            operations=row["operations"],
            last_operation_at=row["last_at"],
        )
        for row in ranked
    ]
