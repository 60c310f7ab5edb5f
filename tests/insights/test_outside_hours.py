"""Operations outside opening hours: the rule (``programs.selectors.is_outside_hours``), the
statistics' flag on a known data set in two time zones, and the API's figures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from cards.services import StaffAuth, add_points, add_stamps, enroll_customer
from insights.api.serializers import StatsOutput
from insights.selectors import (
    FlaggedStoreHours,
    OperationOutsideHours,
    merchant_stats,
)
from programs.models import LoyaltyProgram, Store
from programs.selectors import is_outside_hours
from programs.services import update_store
from tests.conftest import POINTS_PIN, STAMPS_PIN, Loyalty
from tests.insights.test_stats import URL, clock

pytestmark = pytest.mark.django_db

LUXEMBOURG = ZoneInfo("Europe/Luxembourg")  # the server's zone, and the main store's
NEW_YORK = ZoneInfo("America/New_York")  # the bakery's: summer time from Sunday 8 March 2026
SINCE, UNTIL = date(2026, 3, 2), date(2026, 3, 15)  # Monday to Sunday, two weeks

MAIN_HOURS = {
    "mon": [["08:00", "12:00"], ["14:00", "19:00"]],
    "tue": [["08:00", "12:00"], ["14:00", "19:00"]],
    "wed": [["08:00", "12:00"], ["14:00", "19:00"]],
    "thu": [["08:00", "12:00"], ["14:00", "19:00"]],
    "fri": [["08:00", "12:00"], ["18:00", "02:00"]],  # until 2 in the night to Saturday
    "sat": [["09:00", "13:00"]],
    "sun": [],
}
BAKERY_HOURS = {day: [["07:00", "15:00"]] for day in MAIN_HOURS}


def lux(day: str, clock_time: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock_time}").replace(tzinfo=LUXEMBOURG)


def nyc(day: str, clock_time: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock_time}").replace(tzinfo=NEW_YORK)


class Week:
    """Stamps at "main" (Luxembourg) and points at "bakery" (New York) at chosen instants."""

    def __init__(self, loyalty: Loyalty) -> None:
        LoyaltyProgram.objects.update(cooldown_minutes=0, max_daily_stamps=100)
        self.main = update_store(store=loyalty.stamps_store, opening_hours=MAIN_HOURS)
        self.bakery = update_store(
            store=loyalty.points_store, timezone="America/New_York", opening_hours=BAKERY_HOURS
        )
        self.alice = StaffAuth(loyalty.stamps_pin_id, STAMPS_PIN)
        self.bob = StaffAuth(loyalty.points_pin_id, POINTS_PIN)
        with clock(lux("2026-03-01", "10:00")):
            self.card = enroll_customer(store_code="main", name="A", email="a@example.com").card
            self.bread = enroll_customer(store_code="bakery", name="B", email="b@example.com").card
        self.ids: dict[str, int] = {}

    def stamp(self, name: str, moment: datetime) -> None:
        with clock(moment) as meta:
            txn = add_stamps(card_number=self.card.card_number, staff=self.alice, meta=meta)
        self.ids[name] = txn.pk

    def points(self, name: str, moment: datetime) -> None:
        with clock(moment) as meta:
            txn = add_points(
                card_number=self.bread.card_number,
                purchase_amount_cents=1000,
                staff=self.bob,
                meta=meta,
            )
        self.ids[name] = txn.pk


@pytest.fixture
def week(loyalty: Loyalty) -> Iterator[Week]:
    with schema_context(loyalty.merchant.schema_name):
        week = Week(loyalty)
        week.stamp("mon-10:00", lux("2026-03-02", "10:00"))  # inside
        week.stamp("mon-13:00", lux("2026-03-02", "13:00"))  # the lunch break: outside
        week.stamp("mon-19:10", lux("2026-03-02", "19:10"))  # within the 15 minutes' grace
        week.stamp("mon-19:20", lux("2026-03-02", "19:20"))  # after them: outside
        week.stamp("tue-07:59", lux("2026-03-03", "07:59"))  # before opening: outside
        week.stamp("sat-01:30", lux("2026-03-07", "01:30"))  # Friday night's period: inside
        week.stamp("sat-02:30", lux("2026-03-07", "02:30"))  # after it and its grace: outside
        week.stamp("sun-11:00", lux("2026-03-08", "11:00"))  # closed on Sundays: outside
        week.stamp("sun-12:00", lux("2026-03-08", "12:00"))  # outside
        week.stamp("after", lux("2026-03-16", "03:00"))  # outside, but after the range
        # 12:00 in New York is 18:00 in Luxembourg: inside the bakery's hours
        week.points("tue-12:00", nyc("2026-03-03", "12:00"))
        # 06:30 in New York is 12:30 in Luxembourg: outside the bakery's hours
        week.points("wed-06:30", nyc("2026-03-04", "06:30"))
        # 07:30 after New York's change to summer time (11:30 UTC): inside
        week.points("tue-07:30", nyc("2026-03-10", "07:30"))
        yield week
    connection.set_schema_to_public()


def _example(week: Week, name: str, moment: datetime, staff: str) -> OperationOutsideHours:
    card = week.card if moment.tzinfo == LUXEMBOURG else week.bread
    return OperationOutsideHours(
        transaction_id=week.ids[name],
        card_number=card.card_number,
        staff_name=staff,
        created_at=moment,
        local_time=moment.isoformat(),
    )


def _expected_flags(week: Week) -> tuple[FlaggedStoreHours, ...]:
    return (
        FlaggedStoreHours(
            "main",
            "Main Street",
            "Europe/Luxembourg",
            6,
            # the 5 most recent of 6, newest first: Monday's 13:00 is left out
            (
                _example(week, "sun-12:00", lux("2026-03-08", "12:00"), "Alice"),
                _example(week, "sun-11:00", lux("2026-03-08", "11:00"), "Alice"),
                _example(week, "sat-02:30", lux("2026-03-07", "02:30"), "Alice"),
                _example(week, "tue-07:59", lux("2026-03-03", "07:59"), "Alice"),
                _example(week, "mon-19:20", lux("2026-03-02", "19:20"), "Alice"),
            ),
        ),
        FlaggedStoreHours(
            "bakery",
            "Bakery",
            "America/New_York",
            1,
            (_example(week, "wed-06:30", nyc("2026-03-04", "06:30"), "Bob"),),
        ),
    )


def test_operations_outside_hours_are_counted_per_store_with_examples(
    week: Week, django_assert_num_queries
) -> None:
    with django_assert_num_queries(7):
        stats = merchant_stats(since=SINCE, until=UNTIL)

    assert stats.flagged_operations_outside_hours == _expected_flags(week)


def test_a_store_sees_only_its_own_operations_outside_hours(week: Week) -> None:
    stats = merchant_stats(store=week.bakery, since=SINCE, until=UNTIL)

    assert stats.flagged_operations_outside_hours == _expected_flags(week)[1:]


def test_a_store_without_hours_is_never_flagged(week: Week) -> None:
    update_store(store=week.main, opening_hours={})

    stats = merchant_stats(since=SINCE, until=UNTIL)

    assert [row.store_code for row in stats.flagged_operations_outside_hours] == ["bakery"]
    assert (
        is_outside_hours(store=Store.objects.get(code="main"), moment=lux("2026-03-08", "03:00"))
        is False
    )


def test_the_rule_for_one_moment(week: Week) -> None:
    main = Store.objects.get(code="main")
    bakery = Store.objects.get(code="bakery")
    update_store(store=bakery, opening_hours={"sun": [["22:00", "03:00"]]})

    assert is_outside_hours(store=main, moment=lux("2026-03-02", "08:00")) is False
    assert is_outside_hours(store=main, moment=lux("2026-03-02", "07:59")) is True
    assert is_outside_hours(store=main, moment=lux("2026-03-02", "19:14")) is False
    assert is_outside_hours(store=main, moment=lux("2026-03-02", "19:15")) is True
    # Sunday night's period runs into Monday morning, grace included, in the store's zone
    assert is_outside_hours(store=bakery, moment=nyc("2026-03-15", "23:00")) is False
    assert is_outside_hours(store=bakery, moment=nyc("2026-03-16", "03:14")) is False
    assert is_outside_hours(store=bakery, moment=nyc("2026-03-16", "03:15")) is True
    assert is_outside_hours(store=bakery, moment=nyc("2026-03-16", "21:59")) is True


def test_the_api_answers_the_operations_outside_hours(week: Week, loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        expected = StatsOutput(asdict(merchant_stats(since=SINCE, until=UNTIL))).data
    connection.set_schema_to_public()

    answer = loyalty.api(loyalty.read_key).get(URL, {"since": "2026-03-02", "until": "2026-03-15"})

    assert answer.status_code == 200
    body = answer.json()
    assert body["flagged_operations_outside_hours"] == expected["flagged_operations_outside_hours"]
    main, bakery = body["flagged_operations_outside_hours"]
    assert (main["store_code"], main["operations"], len(main["examples"])) == ("main", 6, 5)
    assert bakery == {
        "store_code": "bakery",
        "store_name": "Bakery",
        "timezone": "America/New_York",
        "operations": 1,
        "examples": [
            {
                "transaction_id": week.ids["wed-06:30"],
                "card_number": week.bread.card_number,
                "staff_name": "Bob",
                "created_at": "2026-03-04T12:30:00+01:00",
                "local_time": "2026-03-04T06:30:00-05:00",
            }
        ],
    }
