from __future__ import annotations

from datetime import timedelta

import pytest
from celery.schedules import crontab
from celery.utils.imports import symbol_by_name
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard, LoyaltyTransaction
from cards.services import expire_points
from cards.tasks import expire_points_everywhere_task
from loyalty_saas.celery import app as celery_app
from programs.models import LoyaltyProgram
from programs.rules import POINTS_EXPIRATION_DAYS
from tests.cards.helpers import new_card, points, reload
from tests.conftest import Loyalty

pytestmark = pytest.mark.django_db


def _age(loyalty: Loyalty, card: LoyaltyCard, days: int) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyCard.objects.filter(pk=card.pk).update(
            last_activity_at=timezone.now() - timedelta(days=days)
        )


def _expiring(loyalty: Loyalty, days: int | None = 90) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(pk=loyalty.points_program.pk).update(
            points_expiration_days=days
        )


def test_inactive_balances_expire_as_ledger_rows_and_twice_is_once(loyalty: Loyalty) -> None:
    _expiring(loyalty)
    idle = new_card(loyalty, "bakery", email="idle@example.com")
    busy = new_card(loyalty, "bakery", email="busy@example.com")
    points(loyalty, idle, 4000)  # 60 points
    points(loyalty, busy, 4000)
    _age(loyalty, idle, 91)
    _age(loyalty, busy, 89)

    with schema_context(loyalty.merchant.schema_name):
        assert expire_points() == 1
        assert expire_points() == 0
        row = LoyaltyTransaction.objects.get(transaction_type="points_expired")
    assert (row.card_id, row.points_delta, row.points_after, row.source) == (
        idle.pk,
        -60,
        0,
        "system",
    )
    assert reload(loyalty, idle).points_balance == 0
    assert reload(loyalty, busy).points_balance == 60


def test_points_never_expire_without_a_period(loyalty: Loyalty) -> None:
    _expiring(loyalty, None)
    card = new_card(loyalty, "bakery")
    points(loyalty, card, 4000)
    _age(loyalty, card, 5000)
    with schema_context(loyalty.merchant.schema_name):
        assert expire_points() == 0


def test_expiry_works_in_batches(loyalty: Loyalty) -> None:
    _expiring(loyalty)
    cards = [new_card(loyalty, "bakery", email=f"c{i}@example.com") for i in range(7)]
    for card in cards:
        points(loyalty, card, 1000)
        _age(loyalty, card, 100)
    with schema_context(loyalty.merchant.schema_name):
        assert expire_points(batch_size=3) == 7
        assert LoyaltyTransaction.objects.filter(transaction_type="points_expired").count() == 7


def test_the_daily_task_expires_points_in_every_merchant(
    loyalty: Loyalty, other_loyalty: Loyalty
) -> None:
    expired = []
    for each in (loyalty, other_loyalty):
        _expiring(each)
        card = new_card(each, "bakery")
        points(each, card, 1000)
        _age(each, card, 100)
        expired.append((each, card))

    assert expire_points_everywhere_task.delay().get() == 2

    for each, card in expired:
        assert reload(each, card).points_balance == 0


def _assert_once_a_day(schedule: object) -> None:
    assert isinstance(schedule, crontab), schedule
    # One minute of one hour, every day of every month: once a day, whatever the day.
    assert (len(schedule.minute), len(schedule.hour)) == (1, 1), schedule
    assert schedule.day_of_week == set(range(7)), schedule
    assert schedule.day_of_month == set(range(1, 32)), schedule
    assert schedule.month_of_year == set(range(1, 13)), schedule


def test_the_task_is_scheduled_daily() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["expire-points"]
    assert entry["task"] == expire_points_everywhere_task.name
    _assert_once_a_day(entry["schedule"])

    # What beat installs when it starts: the scheduler the app names (django-celery-beat's, which
    # the platform admin edits) saves each entry of the app's beat_schedule as a PeriodicTask.
    scheduler = symbol_by_name(celery_app.conf.beat_scheduler)
    assert issubclass(scheduler, DatabaseScheduler)
    beat_entry = celery_app.conf.beat_schedule["expire-points"]
    scheduler.Entry.from_entry("expire-points", app=celery_app, **beat_entry)
    installed = PeriodicTask.objects.get(name="expire-points")
    assert (installed.task, installed.enabled) == (expire_points_everywhere_task.name, True)
    _assert_once_a_day(installed.schedule)


def test_the_longest_expiry_allowed_runs(loyalty: Loyalty) -> None:
    _expiring(loyalty, POINTS_EXPIRATION_DAYS.max)
    card = new_card(loyalty, "bakery")
    points(loyalty, card, 1000)
    _age(loyalty, card, POINTS_EXPIRATION_DAYS.max + 1)
    with schema_context(loyalty.merchant.schema_name):
        assert expire_points() == 1


def test_one_merchant_failing_does_not_skip_the_others(
    loyalty: Loyalty, other_loyalty: Loyalty, caplog: pytest.LogCaptureFixture
) -> None:
    healthy = new_card(other_loyalty, "bakery")
    _expiring(other_loyalty)
    points(other_loyalty, healthy, 1000)
    _age(other_loyalty, healthy, 100)
    # A period from before the bound existed: "now minus 2,147,483,647 days" is out of range, so
    # this merchant's expiry fails in PostgreSQL.
    with schema_context(loyalty.merchant.schema_name), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE programs_loyaltyprogram DROP CONSTRAINT program_points_expiration_range"
        )
    _expiring(loyalty, 2**31 - 1)
    points(loyalty, new_card(loyalty, "bakery"), 1000)

    assert expire_points_everywhere_task.delay().get() == 1

    assert reload(other_loyalty, healthy).points_balance == 0
    assert loyalty.merchant.schema_name in caplog.text
