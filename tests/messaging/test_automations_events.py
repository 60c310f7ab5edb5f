"""Event automations (welcome, one stamp away, reward ready), from the engine's real
announcements after real commits: the operations go through the API, the receivers run after
the commit, the tasks run in-process.

Deliveries end "skipped: no pass" here (the cards have no wallet pass): what these tests check is
that each is created once, for the right card, occasion and language, and that marketing
consent is asked only of marketing messages."""

from __future__ import annotations

import datetime as dt

from django_tenants.utils import schema_context

from cards.models import LoyaltyCard, LoyaltyTransaction
from messaging import rules
from messaging.models import Delivery, DeliveryStatus, MessagingSettings, SkipReason, Trigger
from messaging.services import set_automation
from messaging.tasks import card_event_task
from programs.models import LoyaltyProgram
from tests.cards.helpers import points, stamp
from tests.conftest import Loyalty, client_for
from tests.messaging.helpers import settle_all

TEXTS = {"en": {"text": "Hello from the coffee shop"}, "fr": {"text": "Bonjour du café"}}


def _set_up(loyalty: Loyalty, *triggers: str) -> dict[str, int]:
    """The automations on (English and French words), no quiet hours (the hour of the test run
    must not matter), and the programmes' anti-fraud limits out of the way."""
    with schema_context(loyalty.merchant.schema_name):
        MessagingSettings.objects.update_or_create(
            pk=1, defaults={"quiet_start": dt.time(0, 0), "quiet_end": dt.time(0, 0)}
        )
        LoyaltyProgram.objects.update(cooldown_minutes=0, max_daily_stamps=100)
        return {
            trigger: set_automation(trigger=trigger, enabled=True, texts=TEXTS).pk
            for trigger in triggers
        }


def _enrol(loyalty: Loyalty, email: str, *, locale: str, consent: bool, store: str = "main"):
    response = client_for(loyalty.merchant).post(
        f"/api/v1/loyalty/enroll/{store}",
        {"name": "Jane", "email": email, "marketing_consent": consent, "locale": locale},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    with schema_context(loyalty.merchant.schema_name):
        return LoyaltyCard.objects.get(card_number=response.json()["card_number"])


def _deliveries(loyalty: Loyalty, message_id: int) -> list[Delivery]:
    settle_all()  # without a broker the automations run on threads of their own
    with schema_context(loyalty.merchant.schema_name):
        return list(Delivery.objects.filter(message_id=message_id).order_by("pk"))


def _decided(delivery: Delivery, reason: str) -> bool:
    """Held out (a tenth of the cards, drawn by hash), else skipped for ``reason``."""
    if rules.is_holdout(message_id=delivery.message_id, card_id=delivery.card_id):
        return delivery.status == DeliveryStatus.HOLDOUT
    return (delivery.status, delivery.skip_reason) == (DeliveryStatus.SKIPPED, reason)


def _last_txn(loyalty: Loyalty, card: LoyaltyCard) -> int:
    with schema_context(loyalty.merchant.schema_name):
        return (
            LoyaltyTransaction.objects.filter(card=card)
            .order_by("-pk")
            .values_list("pk", flat=True)[0]
        )


def test_welcome_once_per_card_in_the_customers_language_and_only_with_consent(
    committed_loyalty: Loyalty,
) -> None:
    loyalty = committed_loyalty
    welcome = _set_up(loyalty, Trigger.WELCOME)[Trigger.WELCOME]

    french = _enrol(loyalty, "marie@example.com", locale="fr", consent=True)
    german = _enrol(loyalty, "hans@example.com", locale="de", consent=True)
    shy = _enrol(loyalty, "shy@example.com", locale="en", consent=False)

    by_card = {d.card_id: d for d in _deliveries(loyalty, welcome)}
    assert set(by_card) == {french.pk, german.pk, shy.pk}
    assert by_card[french.pk].language == "fr"
    # The automation has no German: the merchant's default language.
    assert by_card[german.pk].language == "en"
    assert all(d.occasion == "" for d in by_card.values())
    assert by_card[french.pk].customer_id == french.customer_id
    # Welcome is marketing: without consent it is not sent; with it, it goes as far as the
    # wallets (none here).
    assert _decided(by_card[shy.pk], SkipReason.NO_CONSENT)
    assert _decided(by_card[french.pk], SkipReason.NO_PASS)

    # The same announcement again (a retried task): nothing new.
    card_event_task.delay(card_id=french.pk, reason="enrolled", transaction_id=None)
    assert len(_deliveries(loyalty, welcome)) == 3

    # Off: nothing for the next customer.
    with schema_context(loyalty.merchant.schema_name):
        set_automation(trigger=Trigger.WELCOME, enabled=False, texts=TEXTS)
    late = _enrol(loyalty, "late@example.com", locale="en", consent=True)
    assert late.pk not in {d.card_id for d in _deliveries(loyalty, welcome)}


def test_one_stamp_away_and_reward_ready_follow_the_stamps_that_cause_them(
    committed_loyalty: Loyalty,
) -> None:
    loyalty = committed_loyalty
    ids = _set_up(loyalty, Trigger.ONE_STAMP_AWAY, Trigger.REWARD_READY)
    # Without marketing consent: these are service messages, sent all the same.
    card = _enrol(loyalty, "jane@example.com", locale="fr", consent=False)

    def after_stamp(quantity: int = 1) -> tuple[int, list[Delivery], list[Delivery]]:
        assert stamp(loyalty, card, quantity=quantity).status_code == 201
        return (
            _last_txn(loyalty, card),
            _deliveries(loyalty, ids[Trigger.ONE_STAMP_AWAY]),
            _deliveries(loyalty, ids[Trigger.REWARD_READY]),
        )

    _txn, away, ready = after_stamp(8)  # 8 of 10
    assert (away, ready) == ([], [])
    nine, away, ready = after_stamp()  # 9 of 10: one away
    assert [(d.card_id, d.occasion, d.language) for d in away] == [(card.pk, f"t{nine}", "fr")]
    assert _decided(away[0], SkipReason.NO_PASS)
    assert ready == []
    ten, away, ready = after_stamp()  # 10: the reward is ready
    assert len(away) == 1
    assert [(d.card_id, d.occasion, d.language) for d in ready] == [(card.pk, f"t{ten}", "fr")]
    assert _decided(ready[0], SkipReason.NO_PASS)
    _txn, away, ready = after_stamp()  # 11: still ready, nothing new
    assert (len(away), len(ready)) == (1, 1)
    _txn, away, ready = after_stamp(8)  # 19: a second reward one stamp away
    assert (len(away), len(ready)) == (1, 1)
    twenty, away, ready = after_stamp()  # 20: a second reward is ready
    assert [d.occasion for d in ready] == [f"t{ten}", f"t{twenty}"]

    # The announcement of that stamp again (a retried task): nothing new.
    card_event_task.delay(card_id=card.pk, reason="stamp_earned", transaction_id=twenty)
    assert len(_deliveries(loyalty, ids[Trigger.REWARD_READY])) == 2


def test_reward_ready_when_points_first_pay_for_a_reward(committed_loyalty: Loyalty) -> None:
    loyalty = committed_loyalty
    ready_id = _set_up(loyalty, Trigger.REWARD_READY)[Trigger.REWARD_READY]
    card = _enrol(loyalty, "jane@example.com", locale="de", consent=True, store="bakery")
    # The bakery: 1.5 points a euro; a cake costs 50 points, a tart 120.

    def earn(cents: int) -> tuple[int, list[str]]:
        assert points(loyalty, card, cents).status_code == 201
        return _last_txn(loyalty, card), [
            d.occasion for d in _deliveries(loyalty, ready_id) if d.card_id == card.pk
        ]

    assert earn(2000)[1] == []  # 30 points
    cake, occasions = earn(2000)  # 60: the cake
    assert occasions == [f"t{cake}"]
    assert earn(2000)[1] == [f"t{cake}"]  # 90: nothing new
    tart, occasions = earn(2000)  # 120: the tart too
    assert occasions == [f"t{cake}", f"t{tart}"]
    assert earn(2000)[1] == [f"t{cake}", f"t{tart}"]  # 150: nothing new
    delivery = _deliveries(loyalty, ready_id)[0]
    assert delivery.language == "en"  # no German words: the default language
