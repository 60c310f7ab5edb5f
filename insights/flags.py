"""The dashboard's "flagged activity": every kind of flag ``merchant_stats`` raises, as one list of
lines, each saying what was seen and which rows of the ledger show it.

A new kind of flag is one function here (from the figures to its lines) and one entry in
``FLAG_KINDS``; the dashboard shows whatever this list holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cards.numbers import format_card_number
from insights.selectors import FLAG_STAFF_FACTOR, Stats


@dataclass(frozen=True)
class Flag:
    kind: str  # a stable name, for styling and tests
    title: str  # what is flagged: a card, a staff member
    detail: str  # why
    # The transactions list's filters that show the rows behind the flag (the range is added),
    # and the store they are at, if any (the list filters stores by id: the dashboard adds it).
    ledger_filters: dict[str, str]
    store_code: str | None = None


def _cards_at_daily_limit(stats: Stats) -> Iterable[Flag]:
    for card in stats.flagged_cards:
        yield Flag(
            kind="card_at_limit",
            title=_("Card %(number)s") % {"number": format_card_number(card.card_number)},
            detail=ngettext(
                "Got the daily stamp limit on %(days)d day.",
                "Got the daily stamp limit on %(days)d days.",
                card.days_at_limit,
            )
            % {"days": card.days_at_limit},
            ledger_filters={"q": card.card_number},
        )


def _busy_staff(stats: Stats) -> Iterable[Flag]:
    for staff in stats.flagged_staff:
        yield Flag(
            kind="staff_above_median",
            title=_("%(name)s (staff, %(store)s)")
            % {"name": staff.name, "store": staff.store_code},
            detail=_(
                "%(operations)d operations: more than %(factor)d times the median of the "
                "store's staff (%(median)s)."
            )
            % {
                "operations": staff.operations,
                "factor": FLAG_STAFF_FACTOR,
                "median": f"{staff.store_median:g}",
            },
            ledger_filters={"staff_pin__id__exact": str(staff.staff_pin_id)},
        )


def _outside_opening_hours(stats: Stats) -> Iterable[Flag]:
    for store in stats.flagged_operations_outside_hours:
        yield Flag(
            kind="outside_hours",
            title=store.store_name,
            detail=ngettext(
                "%(count)d operation outside the store's opening hours.",
                "%(count)d operations outside the store's opening hours.",
                store.operations,
            )
            % {"count": store.operations},
            ledger_filters={},
            store_code=store.store_code,
        )


FLAG_KINDS: tuple[Callable[[Stats], Iterable[Flag]], ...] = (
    _cards_at_daily_limit,
    _busy_staff,
    _outside_opening_hours,
)


def flags(stats: Stats) -> list[Flag]:
    return [flag for kind in FLAG_KINDS for flag in kind(stats)]
