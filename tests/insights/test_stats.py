"""The statistics on a known data set, built through the real services at chosen instants, and
compared figure by figure with values worked out by hand; the API answers the same values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from cards.services import (
    StaffAuth,
    add_points,
    add_stamps,
    enroll_customer,
    redeem_points,
    redeem_stamps,
)
from common.request_meta import RequestMeta
from insights.api.serializers import StatsOutput
from insights.selectors import (
    Cohort,
    DayFigures,
    FlaggedCard,
    FlaggedStaff,
    StaffOperations,
    StoreOperations,
    merchant_stats,
)
from programs.models import LoyaltyProgram
from staff.services import create_staff_pin
from tests.conftest import POINTS_PIN, STAMPS_PIN, Loyalty
from wallets.models import AppleRegistration, WalletPass

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo(settings.TIME_ZONE)
SINCE, UNTIL = date(2026, 3, 2), date(2026, 3, 15)  # Monday to Sunday, two weeks
NOW = datetime(2026, 3, 16, 12, tzinfo=ZONE)
URL = "/api/v1/vendor/loyalty/stats"


def at(day: str, hour: int = 12) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=ZONE).replace(
        hour=hour
    )


@contextmanager
def clock(instant: datetime) -> Iterator[RequestMeta]:
    """Rows written inside are written at ``instant`` (auto_now_add reads timezone.now)."""
    with mock.patch("django.utils.timezone.now", return_value=instant):
        yield RequestMeta(source="api", now=instant)


class Shop:
    """The data set, in the merchant's schema."""

    def __init__(self, loyalty: Loyalty) -> None:
        self.loyalty = loyalty
        LoyaltyProgram.objects.update(cooldown_minutes=0)
        LoyaltyProgram.objects.filter(pk=loyalty.points_program.pk).update(
            points_expiration_days=40
        )
        main = loyalty.stamps_store
        self.alice = StaffAuth(loyalty.stamps_pin_id, STAMPS_PIN)
        self.bob = StaffAuth(loyalty.points_pin_id, POINTS_PIN)
        self.carol = StaffAuth(
            create_staff_pin(store=main, name="Carol", pin=STAMPS_PIN).pk, STAMPS_PIN
        )
        self.dave = StaffAuth(
            create_staff_pin(store=main, name="Dave", pin=STAMPS_PIN).pk, STAMPS_PIN
        )

    def enroll(self, store: str, email: str, day: str) -> LoyaltyCard:
        with clock(at(day, 9)):
            return enroll_customer(store_code=store, name=email, email=f"{email}@example.com").card

    def stamp(self, card: LoyaltyCard, day: str, staff: StaffAuth, quantity: int = 1) -> None:
        with clock(at(day)) as meta:
            add_stamps(card_number=card.card_number, staff=staff, meta=meta, quantity=quantity)

    def redeem_stamps(self, card: LoyaltyCard, day: str, staff: StaffAuth) -> None:
        with clock(at(day)) as meta:
            redeem_stamps(card_number=card.card_number, staff=staff, meta=meta)

    def points(self, card: LoyaltyCard, day: str, cents: int, hour: int = 12) -> None:
        with clock(at(day, hour)) as meta:
            add_points(
                card_number=card.card_number, purchase_amount_cents=cents, staff=self.bob, meta=meta
            )

    def redeem_points(self, card: LoyaltyCard, day: str, reward: str) -> None:
        with clock(at(day)) as meta:
            redeem_points(card_number=card.card_number, reward_id=reward, staff=self.bob, meta=meta)


@pytest.fixture
def shop(loyalty: Loyalty) -> Iterator[Shop]:
    """Cards A, B, C, E, F, G at "main" (stamps: 10 for a reward, 5 a day), D and H at "bakery"
    (1.50 points a euro; cake 50, tart 120; points expire after 40 days without activity)."""
    with schema_context(loyalty.merchant.schema_name):
        shop = Shop(loyalty)
        alice, carol, dave = shop.alice, shop.carol, shop.dave
        h = shop.enroll("bakery", "h", "2026-02-01")
        shop.points(h, "2026-02-01", 2000)  # 30 points, idle since: expired by 2026-03-13
        e = shop.enroll("main", "e", "2026-02-20")
        shop.stamp(e, "2026-02-20", alice, 3)
        a = shop.enroll("main", "a", "2026-03-02")
        shop.stamp(a, "2026-03-02", alice, 5)  # at the daily limit
        shop.stamp(a, "2026-03-03", alice, 5)  # at the limit again; 10: a reward
        shop.redeem_stamps(a, "2026-03-04", alice)
        shop.stamp(a, "2026-03-05", alice, 2)
        d = shop.enroll("bakery", "d", "2026-03-02")
        shop.points(d, "2026-03-02", 4000)  # 60 points: 1 cake unlocked
        b = shop.enroll("main", "b", "2026-03-03")
        shop.stamp(b, "2026-03-03", carol, 5)
        c = shop.enroll("main", "c", "2026-03-09")
        shop.redeem_points(d, "2026-03-09", "cake")
        shop.points(d, "2026-03-09", 10000, hour=13)  # 150 points: 210 earned, 3 more cakes
        g = shop.enroll("main", "g", "2026-03-10")
        shop.stamp(g, "2026-03-10", alice)  # on its enrolment day only: not retained
        shop.stamp(b, "2026-03-10", dave)
        shop.stamp(e, "2026-03-12", alice)
        f = shop.enroll("main", "f", "2026-03-20")  # after the range
        shop.stamp(f, "2026-03-20", alice)
        apple_a = WalletPass.objects.create(card=a)
        apple_b = WalletPass.objects.create(card=b, google_object_id="issuer.b")
        WalletPass.objects.create(card=d, google_object_id="issuer.d")
        WalletPass.objects.create(card=c)  # a pass link, never added anywhere
        AppleRegistration.objects.create(wallet_pass=apple_a, device_library_id="1", push_token="t")
        AppleRegistration.objects.create(wallet_pass=apple_a, device_library_id="2", push_token="t")
        AppleRegistration.objects.create(wallet_pass=apple_b, device_library_id="3", push_token="t")
        shop.cards = {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "h": h}
        yield shop
    connection.set_schema_to_public()


def _days(**figures: tuple[int, int, int, int]) -> tuple[DayFigures, ...]:
    return tuple(
        DayFigures(day, *figures.get(day.strftime("d%m%d"), (0, 0, 0, 0)))
        for day in (SINCE + timedelta(days=n) for n in range(14))
    )


def test_every_figure_of_a_known_data_set(shop: Shop, django_assert_num_queries) -> None:
    loyalty = shop.loyalty
    with django_assert_num_queries(7):
        stats = merchant_stats(since=SINCE, until=UNTIL, now=NOW)

    assert stats.since == SINCE and stats.until == UNTIL and stats.store_code is None
    assert stats.cards_issued == 4 + 1  # a, b, c, g at main; d at the bakery
    assert stats.cards_total == 7  # and e, h before the range; not f, after it
    assert stats.active_cards == 5  # a, b, d, e, g: h was last seen on 1 February
    assert stats.daily == _days(
        d0302=(2, 5, 60, 0),
        d0303=(1, 10, 0, 0),
        d0304=(0, 0, 0, 1),
        d0305=(0, 2, 0, 0),
        d0309=(1, 0, 150, 1),
        d0310=(1, 2, 0, 0),
        d0312=(0, 1, 0, 0),
    )
    # a: 10 stamps earned (1); d: 60 points (1 cake), then 210 (3 more)
    assert (stats.rewards_unlocked, stats.rewards_redeemed, stats.redemption_rate) == (5, 2, 0.4)
    # a (4 days), b (2), d (2) of a, b, d, e, g
    assert stats.repeat_visit_rate == 0.6
    # a: 2 days after enrolling, d: 7 days
    assert stats.median_days_to_first_reward == 4.5
    assert stats.cohorts == (
        Cohort(date(2026, 3, 2), cards=3, retained=3, retention_rate=1.0, complete=False),
        Cohort(date(2026, 3, 9), cards=2, retained=0, retention_rate=0.0, complete=False),
    )
    assert stats.points_outstanding == 160 + 30
    assert stats.points_expiring_30_days == 30  # h's; d's expire on 18 April
    assert stats.purchase_amount_cents == 4000 + 10000
    assert (stats.wallet_apple_cards, stats.wallet_apple_share) == (2, 0.2857)
    assert (stats.wallet_google_cards, stats.wallet_google_share) == (2, 0.2857)
    assert stats.operations_by_store == (
        StoreOperations("main", "Main Street", 8),
        StoreOperations("bakery", "Bakery", 3),
    )
    alice, bob = loyalty.stamps_pin_id, loyalty.points_pin_id
    assert stats.operations_by_staff == (
        StaffOperations(alice, "Alice", "main", 6),
        StaffOperations(bob, "Bob", "bakery", 3),
        StaffOperations(shop.carol.staff_pin_id, "Carol", "main", 1),
        StaffOperations(shop.dave.staff_pin_id, "Dave", "main", 1),
    )
    assert stats.flagged_cards == (FlaggedCard(shop.cards["a"].card_number, 2),)
    # Alice: 6 operations, more than 3 times the median (1) of Alice, Carol and Dave
    assert stats.flagged_staff == (FlaggedStaff(alice, "Alice", "main", 6, 1.0),)
    # the stores' opening hours are not known
    assert stats.flagged_operations_outside_hours == ()


def test_cohorts_complete_once_their_30_days_are_in(shop: Shop) -> None:
    stats = merchant_stats(since=SINCE, until=date(2026, 4, 5), now=NOW)

    assert stats.cohorts == (
        # the last card of the week enrolled on 3 March: its 30 days end on 2 April
        Cohort(date(2026, 3, 2), cards=3, retained=3, retention_rate=1.0, complete=True),
        Cohort(date(2026, 3, 9), cards=2, retained=0, retention_rate=0.0, complete=False),
        Cohort(date(2026, 3, 16), cards=1, retained=0, retention_rate=0.0, complete=False),
    )
    # 7 March to 5 April: b, d, e, f, g (a's operations were before 7 March)
    assert stats.active_cards == 5
    assert stats.cards_total == 8


def test_a_store_sees_its_own_cards_and_ledger(shop: Shop) -> None:
    stats = merchant_stats(store=shop.loyalty.stamps_store, since=SINCE, until=UNTIL, now=NOW)

    assert stats.store_code == "main"
    assert (stats.cards_issued, stats.cards_total, stats.active_cards) == (4, 5, 4)
    assert (stats.rewards_unlocked, stats.rewards_redeemed, stats.redemption_rate) == (1, 1, 1.0)
    assert stats.repeat_visit_rate == 0.5  # a, b of a, b, e, g
    assert stats.median_days_to_first_reward == 2.0
    assert (stats.points_outstanding, stats.points_expiring_30_days) == (0, 0)
    assert stats.purchase_amount_cents == 0
    assert (stats.wallet_apple_cards, stats.wallet_google_cards) == (2, 1)
    assert stats.wallet_google_share == 0.2
    assert stats.operations_by_store == (StoreOperations("main", "Main Street", 8),)
    assert [row.name for row in stats.operations_by_staff] == ["Alice", "Carol", "Dave"]
    assert [day.points_issued for day in stats.daily] == [0] * 14


def test_an_empty_range_is_zeros_and_no_rates(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        stats = merchant_stats(since=SINCE, until=SINCE)

    assert stats.daily == (DayFigures(SINCE, 0, 0, 0, 0),)
    assert stats.cards_total == stats.rewards_unlocked == stats.active_cards == 0
    assert stats.redemption_rate is stats.repeat_visit_rate is stats.wallet_apple_share is None
    assert stats.median_days_to_first_reward is None
    assert stats.cohorts == stats.flagged_cards == stats.flagged_staff == ()


# --- The API


def _expected(loyalty: Loyalty, **kwargs: object) -> dict:
    with schema_context(loyalty.merchant.schema_name):
        body = StatsOutput(asdict(merchant_stats(**kwargs))).data  # type: ignore[arg-type]
    connection.set_schema_to_public()
    return dict(body)


def test_the_api_answers_the_selectors_figures(shop: Shop) -> None:
    loyalty = shop.loyalty
    answer = loyalty.api(loyalty.read_key).get(URL, {"since": "2026-03-02", "until": "2026-03-15"})

    assert answer.status_code == 200
    body = answer.json()
    assert body == _expected(loyalty, since=SINCE, until=UNTIL)
    assert body["cards_total"] == 7 and body["rewards_unlocked"] == 5
    assert body["daily"][0] == {
        "day": "2026-03-02",
        "enrolments": 2,
        "stamps_earned": 5,
        "points_issued": 60,
        "redemptions": 0,
    }
    assert body["flagged_cards"] == [
        {"card_number": shop.cards["a"].card_number, "days_at_limit": 2}
    ]


def test_a_store_key_sees_only_its_store(shop: Shop) -> None:
    loyalty = shop.loyalty
    client = loyalty.api(loyalty.stamps_store_key)
    params = {"since": "2026-03-02", "until": "2026-03-15"}

    own = client.get(URL, params)
    named = client.get(URL, {**params, "store": "MAIN"})
    other = client.get(URL, {**params, "store": "bakery"})

    assert own.status_code == named.status_code == 200
    assert own.json() == named.json()
    assert own.json() == _expected(loyalty, store=loyalty.stamps_store, since=SINCE, until=UNTIL)
    assert own.json()["store_code"] == "main" and own.json()["cards_total"] == 5
    assert other.status_code == 400
    assert other.json()["code"] == "invalid" and "store" in other.json()["errors"]
    # A key for every store may ask for one
    bakery = loyalty.api().get(URL, {**params, "store": "bakery"}).json()
    assert bakery["store_code"] == "bakery" and bakery["purchase_amount_cents"] == 14000


def test_the_default_range_is_the_last_30_days(loyalty: Loyalty) -> None:
    from django.utils import timezone

    answer = loyalty.api(loyalty.read_key).get(URL)

    today = timezone.localdate()
    assert answer.status_code == 200
    assert answer.json()["until"] == today.isoformat()
    assert answer.json()["since"] == (today - timedelta(days=29)).isoformat()
    assert len(answer.json()["daily"]) == 30
    assert answer.json()["store_code"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-02-30"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "0001-01-01", "until": "0001-01-31"}, "since"),
        ({"since": "2026-03-15", "until": "9999-12-31"}, "until"),
        ({"since": "2026-03-16", "until": "2026-03-15"}, "since"),
        ({"since": "2025-03-14", "until": "2026-03-15"}, "until"),  # 367 days
        ({"store": "nowhere"}, "store"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    loyalty: Loyalty, params: dict[str, str], field: str
) -> None:
    answer = loyalty.api(loyalty.read_key).get(URL, params)

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert list(answer.json()["errors"]) == [field]


def test_366_days_are_allowed(loyalty: Loyalty) -> None:
    answer = loyalty.api().get(URL, {"since": "2025-03-15", "until": "2026-03-15"})

    assert answer.status_code == 200
    assert len(answer.json()["daily"]) == 366


def test_a_key_is_needed(loyalty: Loyalty) -> None:
    from tests.conftest import client_for

    answer = client_for(loyalty.merchant).get(URL)

    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"


def test_errors_speak_the_callers_language(loyalty: Loyalty) -> None:
    answer = loyalty.api(loyalty.read_key, **{"Accept-Language": "fr"}).get(
        URL, {"since": "2026-03-16", "until": "2026-03-15"}
    )

    assert answer.json()["errors"] == {"since": ["Le premier jour est après le dernier jour."]}
