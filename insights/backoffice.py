"""What the back office's dashboard shows: the figures of ``insights.selectors.merchant_stats``
(the same the stats API answers) for the range and store the merchant picked, as figure cards,
SVG charts, top customers, flagged activity with links into the ledger, operations per store and
staff member, and the stores' QR posters.

A user who may not read the ledger (a cashier) sees none of it: a link to the terminal instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.numbers import format_card_number
from insights.api.views import EARLIEST, LATEST
from insights.charts import bar_chart
from insights.customers import top_customers
from insights.flags import Flag, flags
from insights.selectors import RETENTION_DAYS, Stats, merchant_stats
from programs.models import Store

RANGES = (7, 30, 90)
DEFAULT_RANGE = 30
SITE = "backoffice"
# Who sees the figures: they are the ledger's, summed up.
FIGURES_PERMISSION = "cards.view_loyaltytransaction"


@dataclass(frozen=True)
class Picked:
    days: int
    since: date
    until: date
    store: Store | None


def picked_range(query: QueryDict, stores: list[Store]) -> Picked:
    """The range and store of the dashboard's query string; anything unknown falls back to the
    default (the last 30 days up to today, every store) rather than to an error page."""
    days = int(query["days"]) if query.get("days", "").isdigit() else DEFAULT_RANGE
    days = days if days in RANGES else DEFAULT_RANGE
    # A fixed last day (a link to a past period) is kept by the pickers; a date one cannot mean
    # is today.
    until = _day(query.get("until", "")) or timezone.localdate()
    by_code = {store.code: store for store in stores}
    return Picked(days, until - timedelta(days=days - 1), until, by_code.get(query.get("store")))


def _day(value: str) -> date | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST + timedelta(days=max(RANGES)) <= day <= LATEST else None


def _ledger_url(filters: dict[str, str], picked: Picked, page: str = "changelist") -> str:
    """The transactions list (or its CSV file), filtered, over the dashboard's days."""
    query = {
        **filters,
        "created_at_from": picked.since.isoformat(),
        "created_at_to": picked.until.isoformat(),
    }
    return f"{reverse(f'{SITE}:cards_loyaltytransaction_{page}')}?{urlencode(query)}"


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _headlines(stats: Stats) -> list[dict[str, Any]]:
    """The figure cards: ``key`` names the API's field, ``value`` is its value there."""
    stamps = sum(day.stamps_earned for day in stats.daily)
    points = sum(day.points_issued for day in stats.daily)
    return [
        {"key": "cards_issued", "label": _("Cards issued"), "value": stats.cards_issued},
        {
            "key": "active_cards",
            "label": _("Active cards"),
            "value": stats.active_cards,
            "hint": _("with an operation in the last 30 days of the range"),
        },
        {"key": "stamps_earned", "label": _("Stamps given"), "value": stamps},
        {"key": "points_issued", "label": _("Points issued"), "value": points},
        {
            "key": "rewards_redeemed",
            "label": _("Rewards redeemed"),
            "value": stats.rewards_redeemed,
        },
        {
            "key": "redemption_rate",
            "label": _("Redemption rate"),
            "value": stats.redemption_rate,
            "percent": _percent(stats.redemption_rate),
            "hint": _("of the %(count)s rewards unlocked") % {"count": stats.rewards_unlocked},
        },
        {
            "key": "repeat_visit_rate",
            "label": _("Repeat visits"),
            "value": stats.repeat_visit_rate,
            "percent": _percent(stats.repeat_visit_rate),
            "hint": _("of the customers came back on another day"),
        },
        {
            "key": "wallet_apple_share",
            "label": _("In Apple Wallet"),
            "value": stats.wallet_apple_share,
            "percent": _percent(stats.wallet_apple_share),
            "hint": _("%(count)s of %(total)s cards")
            % {"count": stats.wallet_apple_cards, "total": stats.cards_total},
        },
        {
            "key": "wallet_google_share",
            "label": _("In Google Wallet"),
            "value": stats.wallet_google_share,
            "percent": _percent(stats.wallet_google_share),
            "hint": _("%(count)s of %(total)s cards")
            % {"count": stats.wallet_google_cards, "total": stats.cards_total},
        },
    ]


def _charts(stats: Stats) -> list[Any]:
    daily = stats.daily
    series = [
        ("enrolments", _("New cards a day"), [(d.day, d.enrolments) for d in daily]),
        ("stamps_earned", _("Stamps given a day"), [(d.day, d.stamps_earned) for d in daily]),
        ("points_issued", _("Points issued a day"), [(d.day, d.points_issued) for d in daily]),
        ("redemptions", _("Rewards redeemed a day"), [(d.day, d.redemptions) for d in daily]),
    ]
    charts = [bar_chart(key=key, title=title, series=values) for key, title, values in series]
    # Stamps or points alone for a programme of one kind; both when both have anything.
    stamps, points = charts[1], charts[2]
    if not points.total:
        charts.remove(points)
    elif not stamps.total:
        charts.remove(stamps)
    return charts


def _cohorts(stats: Stats) -> list[dict[str, Any]]:
    return [
        {"cohort": cohort, "percent": _percent(cohort.retention_rate) or 0}
        for cohort in stats.cohorts
    ]


def _flag_filters(flag: Flag, store_ids: dict[str, int]) -> dict[str, str]:
    if flag.store_code is None:
        return flag.ledger_filters
    return {**flag.ledger_filters, "store__id__exact": str(store_ids[flag.store_code])}


def _staff_url(staff_pin_id: int, picked: Picked) -> str:
    return _ledger_url({"staff_pin__id__exact": str(staff_pin_id)}, picked)


def _figures(request: HttpRequest, stores: list[Store], picked: Picked) -> dict[str, Any]:
    stats = merchant_stats(store=picked.store, since=picked.since, until=picked.until)
    store_ids = {store.code: store.pk for store in stores}
    user = request.user
    may_open_cards = user.has_perm("cards.view_loyaltycard")
    card_url = reverse(f"{SITE}:cards_loyaltycard_changelist")
    customers = [
        {
            "row": row,
            "number": format_card_number(row.card_number),
            "url": f"{card_url}{row.card_id}/change/" if may_open_cards else None,
        }
        for row in top_customers(store=picked.store, since=picked.since, until=picked.until)
    ]
    return {
        "stats": stats,
        "headlines": _headlines(stats),
        "charts": _charts(stats),
        "cohorts": _cohorts(stats),
        "retention_days": RETENTION_DAYS,
        "top_customers": customers,
        "flags": [
            {"flag": flag, "url": _ledger_url(_flag_filters(flag, store_ids), picked)}
            for flag in flags(stats)
        ],
        "store_operations": [
            {
                "row": row,
                "url": _ledger_url({"store__id__exact": str(store_ids[row.store_code])}, picked),
            }
            for row in stats.operations_by_store
        ],
        "staff_operations": [
            {
                "row": row,
                "url": _ledger_url({"staff_pin__id__exact": str(row.staff_pin_id)}, picked),
            }
            for row in stats.operations_by_staff
        ],
        "ledger_url": _ledger_url({}, picked),
        "ledger_csv_url": _ledger_url({}, picked, page="csv"),
        "is_new": stats.cards_total == 0 and not stats.operations_by_store,
    }


def _range_links(request: HttpRequest, picked: Picked) -> list[dict[str, Any]]:
    links = []
    for days in RANGES:
        query = request.GET.copy()
        query["days"] = str(days)
        links.append(
            {
                "days": days,
                "label": _("Last %(days)d days") % {"days": days},
                "url": f"?{query.urlencode()}",
                "current": days == picked.days,
            }
        )
    return links


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """The dashboard's part of the home page's context, under ``dash``."""
    user = request.user
    if not user.has_perm(FIGURES_PERMISSION):
        return {"dash": {"allowed": False, "terminal_url": reverse("terminal:home")}}
    stores = list(Store.objects.order_by("name", "pk"))
    picked = picked_range(request.GET, stores)
    may_view_stores = user.has_perm("programs.view_store")
    return {
        "dash": {
            "allowed": True,
            "picked": picked,
            "ranges": _range_links(request, picked),
            "stores": stores if len(stores) > 1 else [],
            "posters": [
                {"store": store, "url": reverse(f"{SITE}:programs_store_poster", args=[store.pk])}
                for store in stores
            ]
            if may_view_stores
            else [],
            "may_add_store": user.has_perm("programs.add_store"),
            "add_store_url": reverse(f"{SITE}:programs_store_add"),
            **_figures(request, stores, picked),
        }
    }
