"""The ledger as CSV: one home for its columns, used by the API (``?format=csv``) and the back
office's "Download CSV" on the transactions list."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from cards.models import LoyaltyTransaction
from common.csv import csv_lines

TRANSACTION_CSV_COLUMNS = [
    "id",
    "created_at",
    "card_number",
    "store_code",
    "transaction_type",
    "stamps_delta",
    "points_delta",
    "stamps_after",
    "points_after",
    "purchase_amount_cents",
    "reward_id",
    "reward_description",
    "staff_pin_id",
    "source",
    "ip_address",
    "user_agent",
    "notes",
]


def transaction_csv_row(txn: LoyaltyTransaction) -> list[Any]:
    return [
        txn.pk,
        txn.created_at.isoformat(),
        txn.card.card_number,
        txn.store.code,
        txn.transaction_type,
        txn.stamps_delta,
        txn.points_delta,
        txn.stamps_after,
        txn.points_after,
        txn.purchase_amount_cents,
        txn.reward_id,
        txn.reward_description,
        txn.staff_pin_id,
        txn.source,
        txn.ip_address,
        txn.user_agent,
        txn.notes,
    ]


def transactions_csv_response(
    queryset: QuerySet[LoyaltyTransaction], *, filename: str = "transactions.csv"
) -> StreamingHttpResponse:
    """Every row of ``queryset`` as a streamed CSV file, in the queryset's order."""
    rows: Iterable[LoyaltyTransaction] = queryset.select_related("card", "store").iterator(
        chunk_size=2000
    )
    # The query runs before the 200 goes out: once streaming, a failure could only cut the file
    # short, and a cut CSV file looks like a complete one.
    first = next(iter(rows), None)
    rest = rows if first is None else chain([first], rows)
    lines = csv_lines(chain([TRANSACTION_CSV_COLUMNS], (transaction_csv_row(txn) for txn in rest)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
