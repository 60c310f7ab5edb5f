from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet

from programs.exceptions import ProgramInactive, StoreInactive, StoreNotFound
from programs.models import LoyaltyProgram, Store, normalise_store_code
from programs.rules import MINUTES_A_DAY, OPENING_HOURS_GRACE_MINUTES, WEEKDAY_KEYS
from programs.wallet_ids import wallet_id_relations


def program_queryset(*, store: Store | None = None) -> QuerySet[LoyaltyProgram]:
    """Programmes visible to a caller restricted to ``store`` (None: every store)."""
    qs = LoyaltyProgram.objects.select_related("store", *wallet_id_relations()).order_by(
        "store__name", "pk"
    )
    if store is not None:
        qs = qs.filter(store=store)
    return qs


def store_by_code(code: str) -> Store | None:
    """The store with this code however it was typed (a link, a form, an API body), or None."""
    return Store.objects.filter(code=normalise_store_code(code)).first()


def store_for_caller(*, code: str, restricted_to: Store | None) -> Store:
    """The store an API body names, for a caller whose key may be limited to one store.

    A key limited to a store may only name that store; another store's code is refused exactly as
    an unknown one, so the key does not learn which codes exist elsewhere.
    """
    store = store_by_code(code)
    if store is None or (restricted_to is not None and restricted_to != store):
        raise ValidationError({"store_code": [StoreNotFound.default_message]})
    return store


def membership_refusal(
    *, store: Store, program: LoyaltyProgram | None
) -> StoreInactive | ProgramInactive | None:
    """Why ``store`` (whose programme is ``program``) takes no new members now; None if it does."""
    if not store.is_active:
        return StoreInactive()
    if program is None or not program.is_active:
        return ProgramInactive()
    return None


# Opening hours. The rule "is this moment outside the store's opening hours" is written once, in
# SQL, so that the statistics can ask it of every operation in one statement; ``is_outside_hours``
# asks it of one moment.

WEEK_MINUTES = 7 * MINUTES_A_DAY
_WEEKDAY_KEYS_SQL = ", ".join(f"'{key}'" for key in WEEKDAY_KEYS)

# Every open period of every store as minutes from Monday 00:00 (local time): ``opens`` to
# ``closes`` plus the grace period. A period past midnight ends on the next day, Sunday's past
# 10080 (the condition below also looks one week later).
# Only constants are spliced into these statements; the values asked about are parameters.
OPENING_PERIODS_SQL = f"""
SELECT store.id AS store_id,
    day.number * {MINUTES_A_DAY} + opens.minute AS opens,
    day.number * {MINUTES_A_DAY} + closes.minute + {OPENING_HOURS_GRACE_MINUTES}
        + CASE WHEN closes.minute <= opens.minute THEN {MINUTES_A_DAY} ELSE 0 END AS closes
FROM {Store._meta.db_table} AS store
CROSS JOIN LATERAL jsonb_each(store.opening_hours) AS hours(weekday, periods)
CROSS JOIN LATERAL jsonb_array_elements(hours.periods) AS period
CROSS JOIN LATERAL (
    SELECT array_position(ARRAY[{_WEEKDAY_KEYS_SQL}], hours.weekday) - 1 AS number
) AS day
CROSS JOIN LATERAL (
    SELECT extract(epoch FROM (period ->> 0)::time)::int / 60 AS minute
) AS opens
CROSS JOIN LATERAL (
    SELECT extract(epoch FROM (period ->> 1)::time)::int / 60 AS minute
) AS closes
WHERE jsonb_typeof(store.opening_hours) = 'object'
"""  # noqa: S608


def outside_hours_sql(*, store: str, moment: str) -> str:
    """A SQL condition: the ``moment`` (a timestamptz expression) is outside the opening hours of
    ``store`` (the alias of a row of the stores' table), grace period included. Never true for a
    store whose hours are not known. The statement defines ``OPENING_PERIODS_SQL`` as the common
    table ``opening_periods``."""
    local = f"({moment} AT TIME ZONE {store}.timezone)"
    minute = f"(extract(epoch FROM {local} - date_trunc('week', {local})) / 60)"
    return f"""({store}.opening_hours <> '{{}}'::jsonb AND NOT EXISTS (
        SELECT 1 FROM opening_periods AS open_period
        WHERE open_period.store_id = {store}.id
          AND ({minute} >= open_period.opens AND {minute} < open_period.closes
            OR {minute} + {WEEK_MINUTES} >= open_period.opens
              AND {minute} + {WEEK_MINUTES} < open_period.closes)
    ))"""  # noqa: S608


def is_outside_hours(*, store: Store, moment: datetime) -> bool:
    """Whether ``moment`` is outside ``store``'s opening hours as saved (False when they are not
    known): the rule the statistics flag operations with."""
    sql = (
        f"WITH opening_periods AS ({OPENING_PERIODS_SQL}) "  # noqa: S608
        f"SELECT {outside_hours_sql(store='store', moment='asked.moment')} "
        f"FROM {Store._meta.db_table} AS store, (SELECT %s::timestamptz AS moment) AS asked "
        "WHERE store.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [moment, store.pk])
        row = cursor.fetchone()
    return bool(row and row[0])
