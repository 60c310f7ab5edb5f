"""The daily automations: reward not redeemed, win-back, points expiring, birthday. Each creates
one delivery per card and occasion, in the customer's language (else the default), nothing while
off, nothing new on a re-run; marketing ones ask for consent, service ones do not.

Deliveries end "skipped: no pass" or "no consent" here (no card has a wallet pass), or are held
out (a tenth of the cards, by hash). The event automations are in test_automations_events.py
(they need real commits)."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyCard
from messaging import rules
from messaging.automations import birthday_matches, daily_automations
from messaging.models import Delivery, DeliveryStatus, MessagingSettings, SkipReason, Trigger
from messaging.services import DELIVERY_BATCH, set_automation
from messaging.tasks import daily_automations_everywhere_task
from programs.models import LoyaltyProgram, Store
from tests.conftest import Loyalty
from tests.messaging.helpers import days_ago, enrol, set_state

pytestmark = pytest.mark.django_db

TEXTS = {"en": {"text": "We have something for you"}, "fr": {"text": "Nous avons un cadeau"}}
UTC = dt.UTC


def _automation(trigger: str, *, days: int | None = None, enabled: bool = True) -> int:
    MessagingSettings.objects.update_or_create(
        pk=1, defaults={"quiet_start": dt.time(0, 0), "quiet_end": dt.time(0, 0)}
    )
    return set_automation(trigger=trigger, enabled=enabled, texts=TEXTS, days=days).pk


def _run_daily(loyalty: Loyalty) -> None:
    """The beat entry, as beat runs it (from the public schema, one task per merchant)."""
    connection.set_schema_to_public()
    assert daily_automations_everywhere_task.delay().get() >= 1
    connection.set_tenant(loyalty.merchant)


def _deliveries(message_id: int) -> dict[int, Delivery]:
    rows = list(Delivery.objects.filter(message_id=message_id))
    by_card = {row.card_id: row for row in rows}
    assert len(by_card) == len(rows), "a card got the same automation twice"
    return by_card


def _decided(delivery: Delivery, reason: str) -> bool:
    if rules.is_holdout(message_id=delivery.message_id, card_id=delivery.card_id):
        return delivery.status == DeliveryStatus.HOLDOUT
    return (delivery.status, delivery.skip_reason) == (DeliveryStatus.SKIPPED, reason)


def _ledger(card: LoyaltyCard, *, days: float, stamps: int = 0, points: int = 0, kind: str) -> None:
    """A ledger row ``days`` ago (the ledger is append-only and stamps its rows with the time
    of insertion: inserted here with its own time), and the card's balances after it."""
    card.refresh_from_db()
    stamp_count, balance = card.stamp_count + stamps, card.points_balance + points
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO cards_loyaltytransaction (card_id, store_id, transaction_type,
                   stamps_delta, points_delta, stamps_after, points_after, reward_id,
                   reward_description, source, user_agent, notes, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, '', '', 'system', '', '', %s)""",
            [card.pk, card.store_id, kind, stamps, points, stamp_count, balance, days_ago(days)],
        )
    set_state(card, stamp_count=stamp_count, points_balance=balance)


# --- Win-back


def test_win_back_once_per_absence_and_only_with_consent(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        off = _automation(Trigger.WIN_BACK, days=30, enabled=False)
        idle = set_state(
            enrol(email="idle@example.com", locale="fr"),
            last_activity_at=days_ago(40),
            created_at=days_ago(90),
        )
        shy = set_state(
            enrol(email="shy@example.com", consent=False),
            last_activity_at=days_ago(45),
            created_at=days_ago(90),
        )
        set_state(enrol(email="regular@example.com"), last_activity_at=days_ago(3))
        enrol(email="new@example.com")

    _run_daily(loyalty)
    assert _deliveries(off) == {}  # off: nothing

    with schema_context(loyalty.merchant.schema_name):
        win_back = _automation(Trigger.WIN_BACK, days=30)
    _run_daily(loyalty)
    first = _deliveries(win_back)
    assert set(first) == {idle.pk, shy.pk}
    assert first[idle.pk].occasion == idle.last_activity_at.date().isoformat()
    assert first[idle.pk].language == "fr"
    assert first[idle.pk].customer_id == idle.customer_id
    assert _decided(first[idle.pk], SkipReason.NO_PASS)
    assert _decided(first[shy.pk], SkipReason.NO_CONSENT)  # win-back is marketing

    _run_daily(loyalty)  # the next day's run, or a retried one
    assert _deliveries(win_back).keys() == first.keys()
    assert Delivery.objects.filter(message_id=win_back).count() == 2

    # She came back, then stayed away again: a new absence, a new message.
    with schema_context(loyalty.merchant.schema_name):
        set_state(idle, last_activity_at=days_ago(31))
    _run_daily(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        occasions = sorted(
            Delivery.objects.filter(message_id=win_back, card=idle).values_list(
                "occasion", flat=True
            )
        )
    assert occasions == sorted([days_ago(40).date().isoformat(), days_ago(31).date().isoformat()])


# --- Points expiring


def test_points_expiring_in_14_days_is_a_service_message_once_per_expiry_date(
    loyalty: Loyalty,
) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(pk=loyalty.points_program.pk).update(
            points_expiration_days=90
        )
        expiring = _automation(Trigger.POINTS_EXPIRING)
        # No marketing consent, German: a service message, in the default language.
        soon = set_state(
            enrol(store_code="bakery", email="soon@example.com", consent=False, locale="de"),
            points_balance=30,
            last_activity_at=days_ago(80),
        )
        set_state(
            enrol(store_code="bakery", email="later@example.com"),
            points_balance=30,
            last_activity_at=days_ago(60),
        )
        set_state(
            enrol(store_code="bakery", email="empty@example.com"),
            points_balance=0,
            last_activity_at=days_ago(80),
        )

    _run_daily(loyalty)
    _run_daily(loyalty)

    with schema_context(loyalty.merchant.schema_name):
        deliveries = _deliveries(expiring)
        assert set(deliveries) == {soon.pk}
        delivery = deliveries[soon.pk]
        expires = soon.last_activity_at + dt.timedelta(days=90)
        assert delivery.occasion == expires.date().isoformat()
        assert delivery.language == "en"
        assert _decided(delivery, SkipReason.NO_PASS)


# --- Reward not redeemed


def test_reward_not_redeemed_after_n_days_read_from_the_ledger(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        reminder = _automation(Trigger.REWARD_NOT_REDEEMED, days=14)

        def card(email: str, **kwargs: object) -> LoyaltyCard:
            return set_state(enrol(email=email, **kwargs), created_at=days_ago(60))

        # Full for 20 days (no consent: a service message all the same).
        waiting = card("waiting@example.com", consent=False, locale="fr")
        _ledger(waiting, days=20, stamps=10, kind="stamp_earned")
        # Full for 20 days, and she kept collecting stamps since, never redeeming.
        collecting = card("collecting@example.com")
        _ledger(collecting, days=20, stamps=10, kind="stamp_earned")
        _ledger(collecting, days=3, stamps=1, kind="stamp_earned")
        # Full for 5 days only.
        recent = card("recent@example.com")
        _ledger(recent, days=30, stamps=6, kind="stamp_earned")
        _ledger(recent, days=5, stamps=4, kind="stamp_earned")
        # Redeemed: nothing ready.
        redeemed = card("redeemed@example.com")
        _ledger(redeemed, days=20, stamps=10, kind="stamp_earned")
        _ledger(redeemed, days=19, stamps=-10, kind="stamp_redeemed")
        # Points paying for the cake for 20 days.
        cake = card("cake@example.com", store_code="bakery")
        _ledger(cake, days=20, points=60, kind="points_earned")
        # Points that paid for it, spent on it 16 days ago, enough again only 2 days ago.
        again = card("again@example.com", store_code="bakery")
        _ledger(again, days=20, points=60, kind="points_earned")
        _ledger(again, days=16, points=-50, kind="points_redeemed")
        _ledger(again, days=2, points=45, kind="points_earned")

    _run_daily(loyalty)
    _run_daily(loyalty)

    with schema_context(loyalty.merchant.schema_name):
        deliveries = _deliveries(reminder)
        assert set(deliveries) == {waiting.pk, collecting.pk, cake.pk}
        assert deliveries[waiting.pk].occasion == "r0"
        assert deliveries[waiting.pk].language == "fr"
        assert _decided(deliveries[waiting.pk], SkipReason.NO_PASS)

        # Redeemed today with a reward still ready (carried stamps): reminded again N days
        # later, not before. By then the two recent rewards have waited long enough too.
        _ledger(collecting, days=0, stamps=-10, kind="stamp_redeemed")
        _ledger(collecting, days=0, stamps=10, kind="stamp_earned")
        assert daily_automations() == []
        batches = daily_automations(now=timezone.now() + dt.timedelta(days=15))
        pending = Delivery.objects.filter(pk__in=[pk for batch in batches for pk in batch])
        assert set(pending.values_list("card_id", flat=True)) == {
            collecting.pk,
            recent.pk,
            again.pk,
        }
        redemption = collecting.transactions.get(transaction_type="stamp_redeemed").pk
        assert set(
            Delivery.objects.filter(message_id=reminder, card=collecting).values_list(
                "occasion", flat=True
            )
        ) == {"r0", f"r{redemption}"}


# --- Birthday


def test_the_birthday_falls_on_the_day_and_29_february_on_the_28th_in_other_years() -> None:
    assert birthday_matches(dt.date(2027, 3, 15)) == [(3, 15)]
    assert birthday_matches(dt.date(2027, 2, 28)) == [(2, 28), (2, 29)]
    assert birthday_matches(dt.date(2028, 2, 28)) == [(2, 28)]
    assert birthday_matches(dt.date(2028, 2, 29)) == [(2, 29)]
    assert birthday_matches(dt.date(2027, 3, 1)) == [(3, 1)]


def _born(card: LoyaltyCard, month: int, day: int) -> None:
    Customer.objects.filter(pk=card.customer_id).update(birth_month=month, birth_day=day)


def test_birthday_once_a_year_per_customer_in_the_stores_time_zone(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        birthday = _automation(Trigger.BIRTHDAY)
        Store.objects.filter(pk=loyalty.stamps_store.pk).update(timezone="Europe/Luxembourg")
        Store.objects.filter(pk=loyalty.points_store.pk).update(timezone="Pacific/Auckland")
        march = enrol(email="march@example.com", locale="lb")
        leap = enrol(email="leap@example.com", locale="fr")
        eve = enrol(email="eve@example.com")
        kiwi = enrol(store_code="bakery", email="kiwi@example.com")
        shy = enrol(email="shy@example.com", consent=False)
        _born(march, 3, 15)
        _born(leap, 2, 29)
        _born(eve, 2, 28)
        _born(kiwi, 3, 15)
        _born(shy, 3, 15)
        # A second card of the same customer (another programme): still one message.
        twice = enrol(email="march@example.com", store_code="bakery")
        assert twice.customer_id == march.customer_id

        def due_on(moment: dt.datetime) -> set[int]:
            """The cards that get a birthday message on this run."""
            before = set(Delivery.objects.filter(message_id=birthday).values_list("pk", flat=True))
            daily_automations(now=moment)
            new = Delivery.objects.filter(message_id=birthday).exclude(pk__in=before)
            assert set(new.values_list("occasion", flat=True)) <= {str(moment.year)}
            return set(new.values_list("card_id", flat=True))

        # 14 March, noon in Luxembourg: already 15 March, 01:00, in Auckland (kiwi, and the
        # bakery card of the customer born on 15 March).
        assert due_on(dt.datetime(2027, 3, 14, 12, 0, tzinfo=UTC)) == {kiwi.pk, twice.pk}
        # The 15th in Luxembourg: her stamp card is due too, but she had hers this year.
        assert due_on(dt.datetime(2027, 3, 15, 8, 0, tzinfo=UTC)) == {shy.pk}
        assert Delivery.objects.filter(message_id=birthday, customer=march.customer).count() == 1
        # Again the same day: nothing new.
        assert due_on(dt.datetime(2027, 3, 15, 9, 0, tzinfo=UTC)) == set()

        # 2027 has no 29 February: both on the 28th. 2028 has one.
        assert due_on(dt.datetime(2027, 2, 28, 8, 0, tzinfo=UTC)) == {leap.pk, eve.pk}
        assert due_on(dt.datetime(2028, 2, 28, 8, 0, tzinfo=UTC)) == {eve.pk}
        assert due_on(dt.datetime(2028, 2, 29, 8, 0, tzinfo=UTC)) == {leap.pk}
        # The next year, again: on one of her two cards (both are due that day).
        next_year = due_on(dt.datetime(2028, 3, 15, 8, 0, tzinfo=UTC))
        assert len(next_year & {march.pk, twice.pk}) == 1
        assert next_year - {march.pk, twice.pk} == {kiwi.pk, shy.pk}

        by_card = {d.card_id: d for d in Delivery.objects.filter(message_id=birthday)}
        assert by_card[leap.pk].language == "fr"
        assert by_card[twice.pk].language == "en"  # no Luxembourgish words: the default


def test_birthday_decisions_consent_and_language(loyalty: Loyalty) -> None:
    """Through the beat task today: marketing, so consent is asked."""
    today = timezone.now().astimezone(dt.UTC)
    with schema_context(loyalty.merchant.schema_name):
        Store.objects.filter(pk=loyalty.stamps_store.pk).update(timezone="UTC")
        birthday = _automation(Trigger.BIRTHDAY)
        glad = enrol(email="glad@example.com", locale="fr")
        shy = enrol(email="shy@example.com", consent=False)
        _born(glad, today.month, today.day)
        _born(shy, today.month, today.day)

    _run_daily(loyalty)

    with schema_context(loyalty.merchant.schema_name):
        deliveries = _deliveries(birthday)
        assert set(deliveries) == {glad.pk, shy.pk}
        assert deliveries[glad.pk].occasion == str(today.year)
        assert deliveries[glad.pk].language == "fr"
        assert _decided(deliveries[glad.pk], SkipReason.NO_PASS)
        assert _decided(deliveries[shy.pk], SkipReason.NO_CONSENT)


# --- Batches and the schedule


def test_deliveries_are_written_in_bulk_and_queued_in_batches_of_at_most_500(
    loyalty: Loyalty,
) -> None:
    count = 2 * DELIVERY_BATCH + 7
    with schema_context(loyalty.merchant.schema_name):
        win_back = _automation(Trigger.WIN_BACK, days=30)
        customers = Customer.objects.bulk_create(
            Customer(name=f"C{i}", email=f"c{i}@example.com", marketing_consent=True)
            for i in range(count)
        )
        LoyaltyCard.objects.bulk_create(
            LoyaltyCard(
                customer=customer,
                program=loyalty.stamps_program,
                store=loyalty.stamps_store,
                last_activity_at=days_ago(40),
            )
            for customer in customers
        )
        batches = daily_automations()
        assert all(len(batch) <= DELIVERY_BATCH for batch in batches)
        pending = Delivery.objects.filter(message_id=win_back, status=DeliveryStatus.PENDING)
        assert sorted(pk for batch in batches for pk in batch) == sorted(
            pending.values_list("pk", flat=True)
        )
        # The holdout's rows (a tenth) are written, not queued.
        assert Delivery.objects.filter(message_id=win_back).count() == count
        assert len(batches) == -(-pending.count() // DELIVERY_BATCH) >= 2


def test_the_daily_automations_run_once_a_day() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["daily-message-automations"]
    assert entry["task"] == daily_automations_everywhere_task.name
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert (len(schedule.minute), len(schedule.hour)) == (1, 1)
    assert schedule.day_of_week == set(range(7))
