"""The merchant's statistics (SPEC §4 ``GET /api/v1/vendor/loyalty/stats``): one function,
``merchant_stats``, answered by the API, the back office's dashboard and the exports alike.

Seven SQL statements in the merchant's schema, whatever the amount of data: the cards (totals,
wallets, points balances), the daily series, the ledger figures of the range (activity, rewards,
purchases, first rewards), the weekly cohorts, the operations per store and staff member, the
cards stamped at their daily limit, and the operations outside opening hours.

Definitions (every day is a calendar day in ``settings.TIME_ZONE`` unless said otherwise; the
range is the days ``since`` to ``until``, both included):

- *operation*: a ledger row of type ``stamp_earned``, ``stamp_redeemed``, ``points_earned`` or
  ``points_redeemed``. Adjustments (back-office corrections) and expiries (the system) are not a
  customer's activity.
- ``cards_issued``: cards created in the range; ``cards_total``: cards created up to the end of
  ``until``.
- ``active_cards``: cards with an operation in the 30 days ending with ``until``.
- ``daily``: for every day of the range (days without anything are zeros): cards created
  (enrolments), stamps earned, points earned (issued) and redemptions (stamp and points rewards).
- ``rewards_unlocked``: rewards the customers' earnings made available in the range. A stamp
  reward is unlocked each time a card's running total of stamps earned crosses a multiple of the
  programme's ``stamps_target`` (12 stamps at a target of 10 unlock 1; 8 more unlock a second);
  a points reward each time a card's running total of points earned crosses a multiple of the
  cost of the programme's cheapest points reward. Corrections and expiries are left out, and so
  are points programmes without rewards. ``rewards_redeemed``: redemptions in the range;
  ``redemption_rate`` = redeemed / unlocked (None when nothing was unlocked; it can pass 1 when
  rewards unlocked before the range are redeemed in it).
- ``repeat_visit_rate``: of the cards with an operation in the range, the share with operations
  on at least 2 different days of the range (None without any).
- ``median_days_to_first_reward``: over the cards whose first redemption ever falls in the
  range, the median number of days from the card's creation day to that redemption's day.
- ``cohorts``: the cards created in the range, grouped by the week (from Monday) of their
  creation; ``retained`` are those with an operation 1 to 30 days after their creation day, up to
  the end of ``until``; ``complete`` says whether every card of the cohort had its 30 days by
  then (otherwise the rate can still grow).
- ``points_outstanding``: the points on the cards now (not at ``until``: a balance is a state);
  ``points_expiring_30_days``: the balances of cards whose points expire within 30 days from now
  (the programme's ``points_expiration_days`` after the card's last activity, as
  ``cards.services.expire_points`` does; overdue ones the next run will expire included).
- ``purchase_amount_cents``: purchases recorded with points earned in the range (points and
  hybrid programmes).
- ``wallet_apple_cards``: cards (of ``cards_total``) with at least one Apple device registered
  now; ``wallet_google_cards``: cards whose Google Wallet object exists at Google (the object was
  inserted). Google does not tell an issuer whether a customer saved the object, so this counts
  objects Google holds, not passes saved. Shares are of ``cards_total``.
- ``operations_by_store`` / ``operations_by_staff``: operations in the range per store, and per
  staff member (PIN) for those made with a PIN.
- ``flagged_cards``: cards that got the programme's ``max_daily_stamps`` stamps (the limit) on at
  least 2 days of the range, days counted in the store's time zone as the limit is.
- ``flagged_staff``: staff members whose operations in the range are more than 3 times the
  median of their store's staff members; only stores where at least 3 staff members made an
  operation in the range are looked at (with fewer, a median says little).
- ``flagged_operations_outside_hours``: per store, the operations of the range made outside the
  store's opening hours (in the store's time zone, a period past midnight running into the next
  day), with the ``FLAG_OUTSIDE_HOURS_EXAMPLES`` most recent of them. An operation up to
  ``programs.rules.OPENING_HOURS_GRACE_MINUTES`` (15) minutes after closing time is inside: the
  last customers are served after the door is shut (to the minute: at a 19:00 closing, 19:14:59
  is inside and 19:15 is not; nothing is granted before opening time). Stores whose hours are
  not known are never flagged. The rule is ``programs.selectors.outside_hours_sql``'s. Stores
  by count, most first.

With ``store``, every figure is that store's programme's: its cards and the ledger rows at it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from cards.models import LoyaltyCard, LoyaltyTransaction, TransactionType
from programs.models import LoyaltyProgram, Store
from programs.selectors import OPENING_MINUTES_SQL, outside_hours_sql
from staff.models import StaffPin
from wallets.models import AppleRegistration, WalletPass

ACTIVE_DAYS = 30
RETENTION_DAYS = 30
EXPIRY_HORIZON_DAYS = 30
FLAG_LIMIT_DAYS = 2
FLAG_STAFF_FACTOR = 3
FLAG_STAFF_MIN_STAFF = 3
FLAG_OUTSIDE_HOURS_EXAMPLES = 5

OPERATIONS = (
    TransactionType.STAMP_EARNED,
    TransactionType.STAMP_REDEEMED,
    TransactionType.POINTS_EARNED,
    TransactionType.POINTS_REDEEMED,
)
REDEMPTIONS = (TransactionType.STAMP_REDEEMED, TransactionType.POINTS_REDEEMED)


@dataclass(frozen=True)
class DayFigures:
    day: date
    enrolments: int
    stamps_earned: int
    points_issued: int
    redemptions: int


@dataclass(frozen=True)
class Cohort:
    week_start: date
    cards: int
    retained: int
    retention_rate: float | None
    complete: bool


@dataclass(frozen=True)
class StoreOperations:
    store_code: str
    store_name: str
    operations: int


@dataclass(frozen=True)
class StaffOperations:
    staff_pin_id: int
    name: str
    store_code: str
    operations: int


@dataclass(frozen=True)
class FlaggedCard:
    card_number: str
    days_at_limit: int


@dataclass(frozen=True)
class FlaggedStaff:
    staff_pin_id: int
    name: str
    store_code: str
    operations: int
    store_median: float


@dataclass(frozen=True)
class OperationOutsideHours:
    transaction_id: int
    card_number: str
    staff_name: str | None
    created_at: datetime
    local_time: str  # ISO 8601 in the store's time zone, as the store's clock showed it


@dataclass(frozen=True)
class FlaggedStoreHours:
    store_code: str
    store_name: str
    timezone: str
    operations: int
    examples: tuple[OperationOutsideHours, ...]


@dataclass(frozen=True)
class Stats:
    since: date
    until: date
    store_code: str | None
    cards_issued: int
    cards_total: int
    active_cards: int
    daily: tuple[DayFigures, ...]
    rewards_unlocked: int
    rewards_redeemed: int
    redemption_rate: float | None
    repeat_visit_rate: float | None
    median_days_to_first_reward: float | None
    cohorts: tuple[Cohort, ...]
    points_outstanding: int
    points_expiring_30_days: int
    purchase_amount_cents: int
    wallet_apple_cards: int
    wallet_apple_share: float | None
    wallet_google_cards: int
    wallet_google_share: float | None
    operations_by_store: tuple[StoreOperations, ...]
    operations_by_staff: tuple[StaffOperations, ...]
    flagged_cards: tuple[FlaggedCard, ...]
    flagged_staff: tuple[FlaggedStaff, ...]
    flagged_operations_outside_hours: tuple[FlaggedStoreHours, ...]


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` to 4 decimal places; None when ``whole`` is 0."""
    return round(part / whole, 4) if whole else None


_T = {
    "card": LoyaltyCard._meta.db_table,
    "txn": LoyaltyTransaction._meta.db_table,
    "program": LoyaltyProgram._meta.db_table,
    "store": Store._meta.db_table,
    "pin": StaffPin._meta.db_table,
    "wallet": WalletPass._meta.db_table,
    "apple": AppleRegistration._meta.db_table,
}


def _sql(template: str, store: Store | None, **constants: int) -> str:
    # The store condition is spliced in (its value stays a parameter) so that PostgreSQL plans
    # each statement for the case it is, with or without a store.
    return template.format(
        **_T,
        card_scope="AND card.store_id = %(store)s" if store else "",
        txn_scope="AND txn.store_id = %(store)s" if store else "",
        ops=", ".join(f"'{t.value}'" for t in OPERATIONS),
        redemptions=", ".join(f"'{t.value}'" for t in REDEMPTIONS),
        **constants,
    )


_CARDS_SQL = """
SELECT
    count(*) FILTER (WHERE card.created_at < %(end)s),
    count(*) FILTER (WHERE card.created_at >= %(start)s AND card.created_at < %(end)s),
    coalesce(sum(card.points_balance), 0),
    coalesce(sum(card.points_balance) FILTER (
        WHERE program.points_expiration_days IS NOT NULL
          AND coalesce(card.last_activity_at, card.created_at)
              + make_interval(days => program.points_expiration_days) < %(horizon)s
    ), 0),
    count(*) FILTER (WHERE card.created_at < %(end)s AND EXISTS (
        SELECT 1 FROM {wallet} AS wallet JOIN {apple} AS apple ON apple.wallet_pass_id = wallet.id
        WHERE wallet.card_id = card.id
    )),
    count(*) FILTER (WHERE card.created_at < %(end)s AND EXISTS (
        SELECT 1 FROM {wallet} AS wallet WHERE wallet.card_id = card.id
          AND wallet.google_object_id <> ''
    ))
FROM {card} AS card JOIN {program} AS program ON program.id = card.program_id
WHERE true {card_scope}
"""

_DAILY_SQL = """
WITH days AS (
    SELECT day::date AS day
    FROM generate_series(%(since)s::date, %(until)s::date, interval '1 day') AS day
), enrolments AS (
    SELECT (card.created_at AT TIME ZONE %(tz)s)::date AS day, count(*) AS n
    FROM {card} AS card JOIN {program} AS program ON program.id = card.program_id
    WHERE card.created_at >= %(start)s AND card.created_at < %(end)s {card_scope}
    GROUP BY 1
), ledger AS (
    SELECT (txn.created_at AT TIME ZONE %(tz)s)::date AS day,
        sum(txn.stamps_delta) FILTER (WHERE txn.transaction_type = 'stamp_earned') AS stamps,
        sum(txn.points_delta) FILTER (WHERE txn.transaction_type = 'points_earned') AS points,
        count(*) FILTER (WHERE txn.transaction_type IN ({redemptions})) AS redemptions
    FROM {txn} AS txn
    WHERE txn.created_at >= %(start)s AND txn.created_at < %(end)s {txn_scope}
    GROUP BY 1
)
SELECT days.day, coalesce(enrolments.n, 0), coalesce(ledger.stamps, 0),
    coalesce(ledger.points, 0), coalesce(ledger.redemptions, 0)
FROM days LEFT JOIN enrolments USING (day) LEFT JOIN ledger USING (day)
ORDER BY days.day
"""

_LEDGER_SQL = """
WITH operations AS (
    SELECT txn.card_id, txn.created_at, txn.transaction_type, txn.purchase_amount_cents,
        (txn.created_at AT TIME ZONE %(tz)s)::date AS day
    FROM {txn} AS txn
    WHERE txn.transaction_type IN ({ops}) AND txn.created_at < %(end)s
      AND txn.created_at >= least(%(start)s, %(active_start)s) {txn_scope}
), in_range AS (
    SELECT * FROM operations WHERE created_at >= %(start)s
), visits AS (
    SELECT card_id, count(DISTINCT day) AS days FROM in_range GROUP BY card_id
), earned AS (
    -- Running totals of what each card earned, over its whole history up to the range's end.
    SELECT txn.card_id, txn.created_at, txn.transaction_type,
        txn.stamps_delta + txn.points_delta AS delta,
        (sum(txn.stamps_delta + txn.points_delta) OVER (
            PARTITION BY txn.card_id, txn.transaction_type ORDER BY txn.created_at, txn.id
        ))::bigint AS running
    FROM {txn} AS txn
    WHERE txn.transaction_type IN ('stamp_earned', 'points_earned')
      AND txn.created_at < %(end)s {txn_scope}
), unlocked AS (
    SELECT earned.running / step.size - (earned.running - earned.delta) / step.size AS rewards
    FROM earned
    JOIN {card} AS card ON card.id = earned.card_id
    JOIN {program} AS program ON program.id = card.program_id
    CROSS JOIN LATERAL (
        SELECT nullif(CASE WHEN earned.transaction_type = 'stamp_earned'
            THEN program.stamps_target::bigint
            ELSE (
                SELECT min((reward ->> 'points_cost')::bigint)
                FROM jsonb_array_elements(CASE WHEN jsonb_typeof(program.points_rewards) = 'array'
                    THEN program.points_rewards ELSE '[]'::jsonb END) AS reward
            )
        END, 0) AS size
    ) AS step
    WHERE earned.created_at >= %(start)s
), first_rewards AS (
    SELECT txn.card_id, min(txn.created_at) AS first_at
    FROM {txn} AS txn
    WHERE txn.transaction_type IN ({redemptions}) AND txn.created_at < %(end)s {txn_scope}
    GROUP BY txn.card_id
)
SELECT
    (SELECT count(DISTINCT card_id) FROM operations WHERE created_at >= %(active_start)s),
    (SELECT count(*) FROM visits),
    (SELECT count(*) FROM visits WHERE days >= 2),
    (SELECT coalesce(sum(purchase_amount_cents), 0) FROM in_range
        WHERE transaction_type = 'points_earned'),
    (SELECT count(*) FROM in_range WHERE transaction_type IN ({redemptions})),
    (SELECT coalesce(sum(rewards), 0) FROM unlocked),
    (SELECT percentile_cont(0.5) WITHIN GROUP (
        ORDER BY (first_rewards.first_at AT TIME ZONE %(tz)s)::date
            - (card.created_at AT TIME ZONE %(tz)s)::date)
     FROM first_rewards JOIN {card} AS card ON card.id = first_rewards.card_id
     WHERE first_rewards.first_at >= %(start)s)
"""

_COHORTS_SQL = """
WITH cohort AS (
    SELECT card.id, (card.created_at AT TIME ZONE %(tz)s)::date AS enrolled
    FROM {card} AS card JOIN {program} AS program ON program.id = card.program_id
    WHERE card.created_at >= %(start)s AND card.created_at < %(end)s {card_scope}
)
SELECT date_trunc('week', cohort.enrolled)::date AS week, count(*), count(*) FILTER (
        WHERE EXISTS (
            SELECT 1 FROM {txn} AS txn
            WHERE txn.card_id = cohort.id AND txn.transaction_type IN ({ops})
              AND txn.created_at < %(end)s
              AND (txn.created_at AT TIME ZONE %(tz)s)::date - cohort.enrolled
                  BETWEEN 1 AND {retention}
        )
    ), max(cohort.enrolled)
FROM cohort
GROUP BY 1
ORDER BY 1
"""

_OPERATIONS_SQL = """
SELECT store.code, store.name, txn.staff_pin_id, pin.name, count(*)
FROM {txn} AS txn
JOIN {store} AS store ON store.id = txn.store_id
LEFT JOIN {pin} AS pin ON pin.id = txn.staff_pin_id
WHERE txn.transaction_type IN ({ops})
  AND txn.created_at >= %(start)s AND txn.created_at < %(end)s {txn_scope}
GROUP BY store.code, store.name, txn.staff_pin_id, pin.name
ORDER BY store.code, count(*) DESC, pin.name
"""

_LIMIT_DAYS_SQL = """
WITH days AS (
    SELECT txn.card_id, (txn.created_at AT TIME ZONE store.timezone)::date AS day,
        sum(txn.stamps_delta) AS stamps
    FROM {txn} AS txn JOIN {store} AS store ON store.id = txn.store_id
    WHERE txn.transaction_type = 'stamp_earned'
      AND txn.created_at >= %(start)s AND txn.created_at < %(end)s {txn_scope}
    GROUP BY 1, 2
)
SELECT card.card_number, count(*)
FROM days
JOIN {card} AS card ON card.id = days.card_id
JOIN {program} AS program ON program.id = card.program_id
WHERE days.stamps >= program.max_daily_stamps
GROUP BY card.card_number
HAVING count(*) >= {limit_days}
ORDER BY count(*) DESC, card.card_number
"""

_OUTSIDE_HOURS_SQL = """
WITH opening_minutes AS MATERIALIZED ({opening_minutes}), outside AS (
    SELECT txn.id, txn.store_id, txn.card_id, txn.staff_pin_id, txn.created_at,
        count(*) OVER (PARTITION BY txn.store_id) AS operations,
        row_number() OVER (
            PARTITION BY txn.store_id ORDER BY txn.created_at DESC, txn.id DESC
        ) AS rank
    FROM {txn} AS txn
    JOIN {store} AS store ON store.id = txn.store_id
    -- Stores whose hours are not known have no row: never flagged.
    JOIN opening_minutes AS hours ON hours.store_id = txn.store_id
    WHERE txn.transaction_type IN ({ops})
      AND txn.created_at >= %(start)s AND txn.created_at < %(end)s {txn_scope}
      AND {outside_hours}
)
SELECT store.code, store.name, store.timezone, outside.operations, outside.id,
    card.card_number, pin.name, outside.created_at
FROM outside
JOIN {store} AS store ON store.id = outside.store_id
JOIN {card} AS card ON card.id = outside.card_id
LEFT JOIN {pin} AS pin ON pin.id = outside.staff_pin_id
WHERE outside.rank <= {examples}
ORDER BY outside.operations DESC, store.code, outside.rank
"""


def merchant_stats(
    *, store: Store | None = None, since: date, until: date, now: datetime | None = None
) -> Stats:
    """The figures of the days ``since`` to ``until`` (both included), of every store or of
    ``store`` only, in the current merchant's schema. See the module's docstring for what each
    figure counts. ``now`` (default: the current time) dates the points balances."""
    zone = ZoneInfo(settings.TIME_ZONE)
    now = now or timezone.now()
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    active_start = datetime.combine(until - timedelta(days=ACTIVE_DAYS - 1), time.min, tzinfo=zone)
    params: dict[str, Any] = {
        "start": start,
        "end": end,
        "active_start": active_start,
        "since": since,
        "until": until,
        "tz": settings.TIME_ZONE,
        "horizon": now + timedelta(days=EXPIRY_HORIZON_DAYS),
        "store": store.pk if store else None,
    }
    with connection.cursor() as cursor:
        cursor.execute(_sql(_CARDS_SQL, store), params)
        total, issued, outstanding, expiring, apple, google = cursor.fetchone()

        cursor.execute(_sql(_DAILY_SQL, store), params)
        daily = tuple(
            DayFigures(day, *(int(figure) for figure in figures))
            for day, *figures in cursor.fetchall()
        )

        cursor.execute(_sql(_LEDGER_SQL, store), params)
        active, visiting, repeating, purchases, redeemed, unlocked, median = cursor.fetchone()

        cursor.execute(_sql(_COHORTS_SQL, store, retention=RETENTION_DAYS), params)
        cohorts = tuple(
            Cohort(
                week_start=week,
                cards=cards,
                retained=retained,
                retention_rate=rate(retained, cards),
                complete=last_enrolled + timedelta(days=RETENTION_DAYS) <= until,
            )
            for week, cards, retained, last_enrolled in cursor.fetchall()
        )

        cursor.execute(_sql(_OPERATIONS_SQL, store), params)
        operation_rows = cursor.fetchall()

        cursor.execute(_sql(_LIMIT_DAYS_SQL, store, limit_days=FLAG_LIMIT_DAYS), params)
        flagged_cards = tuple(FlaggedCard(number, days) for number, days in cursor.fetchall())

        outside_hours = _sql(
            _OUTSIDE_HOURS_SQL,
            store,
            examples=FLAG_OUTSIDE_HOURS_EXAMPLES,
            opening_minutes=OPENING_MINUTES_SQL,
            outside_hours=outside_hours_sql(
                open_minutes="hours.open_minutes",
                moment="txn.created_at",
                timezone="store.timezone",
            ),
        )
        cursor.execute(outside_hours, params)
        outside_rows = cursor.fetchall()

    by_store: dict[str, StoreOperations] = {}
    by_staff: list[StaffOperations] = []
    for code, store_name, pin_id, pin_name, count in operation_rows:
        before = by_store.get(code)
        total_here = count + (before.operations if before else 0)
        by_store[code] = StoreOperations(code, store_name, total_here)
        if pin_id is not None:
            by_staff.append(StaffOperations(pin_id, pin_name, code, count))
    return Stats(
        since=since,
        until=until,
        store_code=store.code if store else None,
        cards_issued=issued,
        cards_total=total,
        active_cards=active,
        daily=daily,
        rewards_unlocked=int(unlocked),
        rewards_redeemed=redeemed,
        redemption_rate=rate(redeemed, int(unlocked)),
        repeat_visit_rate=rate(repeating, visiting),
        median_days_to_first_reward=None if median is None else float(median),
        cohorts=cohorts,
        points_outstanding=int(outstanding),
        points_expiring_30_days=int(expiring),
        purchase_amount_cents=int(purchases),
        wallet_apple_cards=apple,
        wallet_apple_share=rate(apple, total),
        wallet_google_cards=google,
        wallet_google_share=rate(google, total),
        operations_by_store=tuple(
            sorted(by_store.values(), key=lambda row: (-row.operations, row.store_code))
        ),
        operations_by_staff=tuple(
            sorted(by_staff, key=lambda row: (-row.operations, row.store_code, row.name))
        ),
        flagged_cards=flagged_cards,
        flagged_staff=_flag_staff(by_staff),
        flagged_operations_outside_hours=_flag_outside_hours(outside_rows),
    )


def _flag_outside_hours(rows: list[tuple]) -> tuple[FlaggedStoreHours, ...]:
    """The rows of ``_OUTSIDE_HOURS_SQL`` (ordered by store, most recent first) per store."""
    stores: dict[str, FlaggedStoreHours] = {}
    for code, name, zone, operations, txn_id, card_number, staff, created_at in rows:
        example = OperationOutsideHours(
            transaction_id=txn_id,
            card_number=card_number,
            staff_name=staff,
            created_at=created_at,
            local_time=created_at.astimezone(ZoneInfo(zone)).isoformat(),
        )
        before = stores.get(code)
        examples = (*before.examples, example) if before else (example,)
        stores[code] = FlaggedStoreHours(code, name, zone, operations, examples)
    return tuple(stores.values())


def _flag_staff(rows: list[StaffOperations]) -> tuple[FlaggedStaff, ...]:
    """Staff members above ``FLAG_STAFF_FACTOR`` times their store's median (see the module)."""
    stores: dict[str, list[StaffOperations]] = {}
    for row in rows:
        stores.setdefault(row.store_code, []).append(row)
    flagged = []
    for staff in stores.values():
        if len(staff) < FLAG_STAFF_MIN_STAFF:
            continue
        median = statistics.median(row.operations for row in staff)
        flagged.extend(
            FlaggedStaff(row.staff_pin_id, row.name, row.store_code, row.operations, float(median))
            for row in staff
            if row.operations > FLAG_STAFF_FACTOR * median
        )
    return tuple(sorted(flagged, key=lambda row: (-row.operations, row.store_code, row.name)))
