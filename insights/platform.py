"""The platform's figures (SPEC §4 ``GET /api/v1/admin/loyalty/stats`` and the platform admin's
home): every merchant's figures rolled up into public-schema tables, read from there.

Reading a thousand merchants' schemas on every request would cost a thousand sets of queries, so
each merchant's figures are computed in its own schema by :func:`rollup_merchant` (two SQL
statements) and written to ``merchants.MerchantFigures`` (one row per merchant) and
``merchants.ProgramDirectory`` (one row per programme). The platform's readers —
:func:`platform_overview`, :func:`merchant_rows`, :func:`program_directory` — query those tables
only: a constant number of statements whatever the number of merchants.

The rows are kept fresh two ways (``insights.receivers``, ``insights.tasks``): a card or programme
change queues its merchant's roll-up at the end of a coalescing window
(``PLATFORM_ROLLUP_COALESCE_SECONDS``: a burst of stamps is one roll-up), and a beat entry rolls
every merchant up every 15 minutes, which also moves the 30-day windows along for merchants
without activity. ``rolled_up_at`` says how old each row is.

Definitions are those of ``insights.selectors`` (the merchant's own dashboard): an *operation* is
a stamp or points earned or redeemed (not corrections or expiries); the *30 days* are the 30
calendar days (``settings.TIME_ZONE``) ending today, as the dashboard's default range; *active
cards* had an operation in them; *Apple Wallet cards* have at least one device registered;
*Google Wallet cards* have an object at Google.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard, LoyaltyTransaction
from insights.selectors import ACTIVE_DAYS, OPERATIONS, REDEMPTIONS
from merchants.models import Merchant, MerchantFigures, ProgramDirectory
from programs.models import LoyaltyProgram, Store
from wallets.models import AppleRegistration, WalletPass

logger = logging.getLogger("insights.platform")

TOP_MERCHANTS = 10
# Serialises roll-ups of one merchant (the lock key's second half is the merchant's id), so an
# older computation never overwrites a newer one.
_ROLLUP_LOCK_CLASS = 7_310_002

_FIGURES_SQL = """
WITH operations AS (
    SELECT txn.card_id, txn.transaction_type, txn.stamps_delta, txn.points_delta
    FROM {txn} AS txn
    WHERE txn.transaction_type IN ({ops}) AND txn.created_at >= %(active_start)s
)
SELECT
    (SELECT count(*) FROM {card}),
    (SELECT count(DISTINCT card_id) FROM operations),
    (SELECT count(*) FROM operations),
    (SELECT coalesce(sum(stamps_delta), 0) FROM operations
        WHERE transaction_type = 'stamp_earned'),
    (SELECT coalesce(sum(points_delta), 0) FROM operations
        WHERE transaction_type = 'points_earned'),
    (SELECT count(*) FROM operations WHERE transaction_type IN ({redemptions})),
    (SELECT count(DISTINCT wallet.card_id)
        FROM {wallet} AS wallet JOIN {apple} AS apple ON apple.wallet_pass_id = wallet.id),
    (SELECT count(*) FROM {wallet} AS wallet WHERE wallet.google_object_id <> ''),
    (SELECT max(txn.created_at) FROM {txn} AS txn WHERE txn.transaction_type IN ({ops}))
"""

_PROGRAMS_SQL = """
SELECT program.id, program.card_name,
    coalesce((SELECT store.code FROM {store} AS store WHERE store.program_id = program.id
        ORDER BY store.name, store.id LIMIT 1), ''),
    left(coalesce((SELECT string_agg(store.name, ', ' ORDER BY store.name, store.id)
        FROM {store} AS store WHERE store.program_id = program.id), ''), 200),
    program.loyalty_type, program.is_active, program.created_at,
    (SELECT count(*) FROM {card} AS card WHERE card.program_id = program.id)
FROM {program} AS program
ORDER BY program.id
"""


_TABLES = {
    "card": LoyaltyCard._meta.db_table,
    "txn": LoyaltyTransaction._meta.db_table,
    "program": LoyaltyProgram._meta.db_table,
    "store": Store._meta.db_table,
    "wallet": WalletPass._meta.db_table,
    "apple": AppleRegistration._meta.db_table,
}


def _sql(template: str) -> str:
    return template.format(
        **_TABLES,
        ops=", ".join(f"'{t.value}'" for t in OPERATIONS),
        redemptions=", ".join(f"'{t.value}'" for t in REDEMPTIONS),
    )


def active_window_start(now: datetime) -> datetime:
    """The start of the 30 calendar days ending with ``now``'s day (the dashboard's default)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(zone).date()
    return datetime.combine(today - timedelta(days=ACTIVE_DAYS - 1), time.min, tzinfo=zone)


def rollup_merchant(*, merchant_id: int, now: datetime | None = None) -> MerchantFigures | None:
    """Compute one merchant's figures and programmes in its schema and write them to the public
    tables. Safe to run twice or concurrently (the second waits for the first, then writes what
    it read). None when the merchant no longer exists."""
    now = now or timezone.now()
    with transaction.atomic():
        merchant = Merchant.objects.filter(pk=merchant_id).first()
        if merchant is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_ROLLUP_LOCK_CLASS, merchant_id]
            )
        with schema_context(merchant.schema_name), connection.cursor() as cursor:
            cursor.execute(_sql(_FIGURES_SQL), {"active_start": active_window_start(now)})
            (cards, active, operations, stamps, points, redemptions, apple, google, last_at) = (
                cursor.fetchone()
            )
            cursor.execute(_sql(_PROGRAMS_SQL))
            programs = cursor.fetchall()
        figures = MerchantFigures(
            merchant_id=merchant_id,
            programs=len(programs),
            cards=cards,
            active_cards_30_days=active,
            operations_30_days=operations,
            stamps_30_days=int(stamps),
            points_30_days=int(points),
            redemptions_30_days=redemptions,
            wallet_apple_cards=apple,
            wallet_google_cards=google,
            last_operation_at=last_at,
            rolled_up_at=now,
        )
        figure_fields = [f.name for f in MerchantFigures._meta.concrete_fields if not f.primary_key]
        MerchantFigures.objects.bulk_create(
            [figures],
            update_conflicts=True,
            unique_fields=["merchant"],
            update_fields=figure_fields,
        )
        rows = [
            ProgramDirectory(
                merchant_id=merchant_id,
                program_id=program_id,
                name=name,
                store_code=store_code,
                store_name=store_name,
                loyalty_type=loyalty_type,
                is_active=is_active,
                created_at=created_at,
                cards=program_cards,
                updated_at=now,
            )
            for (
                program_id,
                name,
                store_code,
                store_name,
                loyalty_type,
                is_active,
                created_at,
                program_cards,
            ) in programs
        ]
        ProgramDirectory.objects.filter(merchant_id=merchant_id).exclude(
            program_id__in=[row.program_id for row in rows]
        ).delete()
        if rows:
            ProgramDirectory.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["merchant", "program_id"],
                update_fields=[
                    "name",
                    "store_code",
                    "store_name",
                    "loyalty_type",
                    "is_active",
                    "created_at",
                    "cards",
                    "updated_at",
                ],
            )
    return figures


def rollup_all_merchants(*, now: datetime | None = None) -> int:
    """Roll every merchant up, one after the other (the management command; the beat entry
    queues one task per merchant instead). One merchant's failure is logged and the others go
    on. Returns how many were rolled up."""
    done = 0
    for merchant_id in Merchant.objects.order_by("pk").values_list("pk", flat=True):
        try:
            if rollup_merchant(merchant_id=merchant_id, now=now) is not None:
                done += 1
        except Exception:
            logger.exception("roll-up of merchant %s failed", merchant_id)
    return done


# --- Reading the rolled-up figures


@dataclass(frozen=True)
class MerchantRow:
    """A merchant's line in the platform's figures (zeros until its first roll-up)."""

    merchant_id: int
    slug: str
    name: str
    is_active: bool
    created_at: datetime
    programs: int
    cards: int
    active_cards_30_days: int
    operations_30_days: int
    stamps_30_days: int
    points_30_days: int
    redemptions_30_days: int
    wallet_apple_cards: int
    wallet_google_cards: int
    last_operation_at: datetime | None
    rolled_up_at: datetime | None


@dataclass(frozen=True)
class PlatformOverview:
    merchants: int
    active_merchants: int
    merchants_with_operations_30_days: int
    programs: int
    cards: int
    active_cards_30_days: int
    operations_30_days: int
    stamps_30_days: int
    points_30_days: int
    redemptions_30_days: int
    wallet_apple_cards: int
    wallet_google_cards: int
    # The oldest and newest roll-up the sums include (None before the first one).
    oldest_rollup_at: datetime | None
    newest_rollup_at: datetime | None
    top_merchants: tuple[MerchantRow, ...]


SUMMED = (
    "programs",
    "cards",
    "active_cards_30_days",
    "operations_30_days",
    "stamps_30_days",
    "points_30_days",
    "redemptions_30_days",
    "wallet_apple_cards",
    "wallet_google_cards",
)

# Sort keys of the per-merchant rows: name -> (the ORM's field, whether it is a figure).
MERCHANT_ORDERINGS = {
    "name": "name",
    "slug": "schema_name",
    "created_at": "created_at",
    **{name: f"figures__{name}" for name in SUMMED},
    "last_operation_at": "figures__last_operation_at",
}
DEFAULT_MERCHANT_ORDERING = "-operations_30_days"


def merchant_rows(*, ordering: str = DEFAULT_MERCHANT_ORDERING) -> QuerySet[Merchant]:
    """Every merchant with its rolled-up figures (``figures`` may be missing before the first
    roll-up), sorted by ``ordering`` (a key of ``MERCHANT_ORDERINGS``, ``-`` for descending;
    merchants without figures last), then by slug."""
    descending = ordering.startswith("-")
    field = MERCHANT_ORDERINGS[ordering.lstrip("-")]
    expression = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return Merchant.objects.select_related("figures").order_by(expression, "schema_name")


def merchant_row(merchant: Merchant) -> MerchantRow:
    figures = getattr(merchant, "figures", None)
    return MerchantRow(
        merchant_id=merchant.pk,
        slug=merchant.schema_name,
        name=merchant.name,
        is_active=merchant.is_active,
        created_at=merchant.created_at,
        **{name: getattr(figures, name) if figures else 0 for name in SUMMED},
        last_operation_at=figures.last_operation_at if figures else None,
        rolled_up_at=figures.rolled_up_at if figures else None,
    )


def platform_overview(*, top: int = TOP_MERCHANTS) -> PlatformOverview:
    """The platform-wide figures and the ``top`` merchants by operations in the last 30 days,
    from the rolled-up tables: three SQL statements whatever the number of merchants."""
    counts = Merchant.objects.aggregate(
        merchants=Count("pk"), active_merchants=Count("pk", filter=Q(is_active=True))
    )
    sums = MerchantFigures.objects.aggregate(
        # Aliases other than the fields' names: Django refuses an aggregate named like a field
        # that another aggregate of the same query filters on.
        **{f"total_{name}": Coalesce(Sum(name), 0) for name in SUMMED},
        merchants_with_operations_30_days=Count("pk", filter=Q(operations_30_days__gt=0)),
        oldest_rollup_at=Min("rolled_up_at"),
        newest_rollup_at=Max("rolled_up_at"),
    )
    top_rows = (
        tuple(
            merchant_row(merchant)
            for merchant in merchant_rows(ordering="-operations_30_days").filter(
                figures__isnull=False
            )[:top]
        )
        if top
        else ()
    )
    return PlatformOverview(
        merchants=counts["merchants"],
        active_merchants=counts["active_merchants"],
        merchants_with_operations_30_days=sums["merchants_with_operations_30_days"],
        **{name: int(sums[f"total_{name}"]) for name in SUMMED},
        oldest_rollup_at=sums["oldest_rollup_at"],
        newest_rollup_at=sums["newest_rollup_at"],
        top_merchants=top_rows,
    )


def program_directory(
    *,
    merchant: str | None = None,
    loyalty_type: str | None = None,
    is_active: bool | None = None,
    search: str | None = None,
) -> QuerySet[ProgramDirectory]:
    """Every merchant's programmes, by merchant name then programme id; ``merchant`` is a slug
    (schema name), ``search`` matches the card name, the store's name or the merchant's name."""
    programs = ProgramDirectory.objects.select_related("merchant").order_by(
        "merchant__name", "merchant_id", "program_id"
    )
    if merchant:
        programs = programs.filter(merchant__schema_name=merchant)
    if loyalty_type:
        programs = programs.filter(loyalty_type=loyalty_type)
    if is_active is not None:
        programs = programs.filter(is_active=is_active)
    if search:
        programs = programs.filter(
            Q(name__icontains=search)
            | Q(store_name__icontains=search)
            | Q(merchant__name__icontains=search)
        )
    return programs
