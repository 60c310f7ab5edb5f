"""A campaign reaches exactly its audience's Apple devices and Google objects, through the local
stand-ins, under the budget, the quiet hours, the holdout, consent and each customer's language.

Real commits (campaigns start after commit), real HTTP/2 to the APNs stand-in and real HTTP to
the Google stand-in. Without a broker the tasks run in the request that sends the campaign.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.models import LoyaltyCard
from messaging import rules
from messaging.models import Delivery, DeliveryStatus, Message, MessagingSettings, SkipReason
from messaging.services import create_campaign, deliver, schedule_campaign
from messaging.tasks import sweep_messages_task
from programs.models import Store
from tests.conftest import Loyalty
from tests.messaging.helpers import enrol, on_apple, set_state, settle_all
from tests.wallets.apns_standin import ApnsStandIn
from tests.wallets.google_standin import GoogleStandIn
from wallets.models import WalletPass

pytestmark = pytest.mark.usefixtures("committed_db")

TEXTS = {
    "en": {"text": "Double stamps this Saturday!", "detail": "All day, at every store."},
    "fr": {"text": "Tampons doublés ce samedi !", "detail": "Toute la journée."},
}


@pytest.fixture
def shop(committed_loyalty: Loyalty, apns_on: ApnsStandIn, google_wallet: GoogleStandIn) -> Loyalty:
    return committed_loyalty


def _google_ids(loyalty: Loyalty, cards: list[LoyaltyCard]) -> dict[int, str]:
    settle_all()  # the enrolments' Google objects are inserted on background threads
    with schema_context(loyalty.merchant.schema_name):
        ids = dict(
            WalletPass.objects.filter(card__in=cards).values_list("card_id", "google_object_id")
        )
    assert all(ids.get(card.pk) for card in cards), "every card's object is at Google"
    return ids


def _messaged_objects(standin: GoogleStandIn) -> dict[str, list[dict[str, Any]]]:
    """Object id -> the messages Google was asked to add to it."""
    added: dict[str, list[dict[str, Any]]] = {}
    for request in standin.requests(kind="loyaltyObject", action="addMessage"):
        added.setdefault(request.resource_id or "", []).append((request.body or {})["message"])
    return added


def _pushed_tokens(standin: ApnsStandIn) -> set[str]:
    return {recorded.token for recorded in standin.received()}


def _draft(loyalty: Loyalty, **kwargs: Any) -> Message:
    with schema_context(loyalty.merchant.schema_name):
        return create_campaign(name="Saturday", texts=kwargs.pop("texts", TEXTS), **kwargs)


def _send(loyalty: Loyalty, message: Message) -> None:
    with schema_context(loyalty.merchant.schema_name):
        schedule_campaign(message=message)
    settle_all()


def _enrol_until_holdout(
    loyalty: Loyalty, message: Message, *, prefix: str, sent: int, held: int
) -> tuple[list[LoyaltyCard], list[LoyaltyCard]]:
    """Cards enrolled until ``sent`` are outside the message's holdout and ``held`` inside."""
    outside: list[LoyaltyCard] = []
    inside: list[LoyaltyCard] = []
    with schema_context(loyalty.merchant.schema_name):
        index = 0
        while len(outside) < sent or len(inside) < held:
            card = enrol(email=f"{prefix}{index}@example.com")
            index += 1
            held_out = rules.is_holdout(message_id=message.pk, card_id=card.pk)
            if held_out and len(inside) < held:
                inside.append(card)
            elif not held_out and len(outside) < sent:
                outside.append(card)
            else:
                LoyaltyCard.objects.filter(pk=card.pk).update(is_active=False)
    return outside, inside


def test_a_campaign_reaches_exactly_its_segment_and_never_the_holdout(
    shop: Loyalty, apns_on: ApnsStandIn, google_wallet: GoogleStandIn
) -> None:
    message = _draft(shop, audience="reward_ready")
    segment, holdout = _enrol_until_holdout(shop, message, prefix="r", sent=6, held=2)
    with schema_context(shop.merchant.schema_name):
        for card in [*segment, *holdout]:
            set_state(card, stamp_count=10)
        outside = [enrol(email=f"o{index}@example.com") for index in range(3)]  # not ready
        tokens = {card.pk: on_apple(card) for card in [*segment, *holdout, *outside]}
    objects = _google_ids(shop, [*segment, *holdout, *outside])
    apns_on.reset()
    google_wallet.clear_requests()

    _send(shop, message)

    assert _pushed_tokens(apns_on) == {tokens[card.pk] for card in segment}
    messaged = _messaged_objects(google_wallet)
    assert set(messaged) == {objects[card.pk] for card in segment}
    for sent_messages in messaged.values():
        assert len(sent_messages) == 1
        assert sent_messages[0]["messageType"] == "TEXT_AND_NOTIFY"
        # Google has no back of the pass: the longer text follows the line.
        assert sent_messages[0]["body"] == f"{TEXTS['en']['text']}\n\n{TEXTS['en']['detail']}"
    with schema_context(shop.merchant.schema_name):
        message.refresh_from_db()
        assert message.status == "sent"
        rows = {d.card_id: d for d in Delivery.objects.filter(message=message)}
        assert set(rows) == {card.pk for card in [*segment, *holdout]}
        assert {rows[card.pk].status for card in holdout} == {DeliveryStatus.HOLDOUT}
        for card in segment:
            assert rows[card.pk].status == DeliveryStatus.SENT
            assert (rows[card.pk].apple, rows[card.pk].google) == ("sent", "sent")
            # The Apple pass shows it on its back, and its new version is what devices fetch.
            wallet_pass = WalletPass.objects.get(card=card)
            assert wallet_pass.message_text == TEXTS["en"]["text"]


def test_each_customer_gets_their_language_or_the_default(
    shop: Loyalty, apns_on: ApnsStandIn, google_wallet: GoogleStandIn
) -> None:
    message = _draft(shop)
    with schema_context(shop.merchant.schema_name):
        french = enrol(email="fr@example.com", locale="fr")
        german = enrol(email="de@example.com", locale="de")  # the campaign has no German
    objects = _google_ids(shop, [french, german])
    google_wallet.clear_requests()
    _send(shop, message)

    with schema_context(shop.merchant.schema_name):
        rows = {d.card_id: d for d in Delivery.objects.filter(message=message)}
    messaged = _messaged_objects(google_wallet)
    for card, language in ((french, "fr"), (german, "en")):
        assert rows[card.pk].language == language
        if rows[card.pk].status == DeliveryStatus.SENT:
            assert messaged[objects[card.pk]][0]["body"].startswith(TEXTS[language]["text"])
        else:
            assert rows[card.pk].status == DeliveryStatus.HOLDOUT
            assert objects[card.pk] not in messaged


def test_campaigns_need_marketing_consent(
    shop: Loyalty, apns_on: ApnsStandIn, google_wallet: GoogleStandIn
) -> None:
    message = _draft(shop)
    with schema_context(shop.merchant.schema_name):
        refused = enrol(email="no@example.com", consent=False)
        token = on_apple(refused)
    _send(shop, message)

    assert token not in _pushed_tokens(apns_on)
    with schema_context(shop.merchant.schema_name):
        row = Delivery.objects.get(message=message, card=refused)
    assert row.status in (DeliveryStatus.SKIPPED, DeliveryStatus.HOLDOUT)
    if row.status == DeliveryStatus.SKIPPED:
        assert row.skip_reason == SkipReason.NO_CONSENT


def _reachable(loyalty: Loyalty, count: int, prefix: str) -> tuple[list[LoyaltyCard], list[str]]:
    with schema_context(loyalty.merchant.schema_name):
        cards = [enrol(email=f"{prefix}{index}@example.com") for index in range(count)]
        tokens = [on_apple(card) for card in cards]
    return cards, tokens


def _sent_count(loyalty: Loyalty, card: LoyaltyCard) -> int:
    with schema_context(loyalty.merchant.schema_name):
        return Delivery.objects.filter(card=card, status=DeliveryStatus.SENT).count()


def test_the_weekly_cap_holds_across_campaigns(shop: Loyalty, apns_on: ApnsStandIn) -> None:
    cards, _tokens = _reachable(shop, 12, "w")
    for week_message in range(3):
        _send(shop, _draft(shop, texts={"en": {"text": f"News number {week_message}"}}))
    # The default cap: 2 a week per customer, whatever the campaigns (held-out ones send none).
    for card in cards:
        assert _sent_count(shop, card) <= 2
    with schema_context(shop.merchant.schema_name):
        skipped = Delivery.objects.filter(skip_reason=SkipReason.BUDGET).count()
        sent = Delivery.objects.filter(status=DeliveryStatus.SENT).count()
    assert skipped > 0
    assert len(apns_on.received()) == sent


def test_parallel_campaigns_cannot_exceed_the_budget(shop: Loyalty, apns_on: ApnsStandIn) -> None:
    with schema_context(shop.merchant.schema_name):
        MessagingSettings.objects.update_or_create(pk=1, defaults={"weekly_cap": 1})
    cards, _tokens = _reachable(shop, 30, "p")
    messages = [_draft(shop, texts={"en": {"text": f"Offer {index}"}}) for index in range(4)]
    schema = shop.merchant.schema_name
    with schema_context(schema):
        from messaging.services import start_campaign

        for message in messages:
            Message.objects.filter(pk=message.pk).update(status="scheduled", send_at=timezone.now())
        batches = [start_campaign(message_id=message.pk) for message in messages]

    errors: list[BaseException] = []
    barrier = threading.Barrier(len(batches))

    def run(delivery_ids: list[int]) -> None:
        from django.db import connection

        try:
            with schema_context(schema):
                barrier.wait()
                deliver(delivery_ids=delivery_ids)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(ids[0],)) for ids in batches if ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    for card in cards:
        assert _sent_count(shop, card) <= 1
    with schema_context(schema):
        sent_cards = set(
            Delivery.objects.filter(status=DeliveryStatus.SENT).values_list("card_id", flat=True)
        )
    # Everyone outside all four holdouts got exactly one.
    assert len(sent_cards) >= len(cards) - 3
    assert len(apns_on.received()) == len(sent_cards)


def test_quiet_hours_hold_the_send_until_they_end(
    shop: Loyalty, apns_on: ApnsStandIn, google_wallet: GoogleStandIn
) -> None:
    now = timezone.now()
    with schema_context(shop.merchant.schema_name):
        Store.objects.update(timezone="Asia/Tokyo")
        local = now.astimezone(dt.timezone(dt.timedelta(hours=9)))
        MessagingSettings.objects.update_or_create(
            pk=1,
            defaults={
                "quiet_start": (local - dt.timedelta(hours=1)).time().replace(microsecond=0),
                "quiet_end": (local + dt.timedelta(hours=1)).time().replace(microsecond=0),
            },
        )
    cards, tokens = _reachable(shop, 6, "q")
    message = _draft(shop)
    _send(shop, message)

    assert apns_on.received() == []
    with schema_context(shop.merchant.schema_name):
        waiting = Delivery.objects.filter(message=message, status=DeliveryStatus.WAITING)
        assert waiting.exists()
        end = waiting.first().not_before
        assert dt.timedelta(minutes=50) < end - now < dt.timedelta(minutes=70)
        # The sweep before the end sends nothing; after it, everything that waited.
        waited = set(waiting.values_list("card_id", flat=True))
        assert sweep_messages_task() == 0
        Delivery.objects.filter(message=message).update(not_before=timezone.now())
        MessagingSettings.objects.update(quiet_start=dt.time(0, 0), quiet_end=dt.time(0, 0))
        sweep_messages_task()
        held = Delivery.objects.filter(message=message, status=DeliveryStatus.SENT)
        assert set(held.values_list("card_id", flat=True)) == waited
        assert all(row.waited for row in held)
        message.refresh_from_db()
        assert message.status == "sent"
    settle_all()
    by_card = {card.pk: token for card, token in zip(cards, tokens, strict=True)}
    assert _pushed_tokens(apns_on) == {by_card[card_id] for card_id in waited}


def test_a_send_whose_worker_died_is_finished_by_the_sweep(
    shop: Loyalty, apns_on: ApnsStandIn
) -> None:
    cards, tokens = _reachable(shop, 4, "s")
    message = _draft(shop)
    with schema_context(shop.merchant.schema_name):
        from messaging.services import start_campaign

        Message.objects.filter(pk=message.pk).update(status="scheduled", send_at=timezone.now())
        batches = start_campaign(message_id=message.pk)
        # A worker claimed the batch and died before any push: "sending" for 20 minutes.
        claimed_at = timezone.now() - dt.timedelta(minutes=20)
        Delivery.objects.filter(pk__in=batches[0]).update(status="sending", sent_at=claimed_at)
        assert sweep_messages_task() == 1
        rows = Delivery.objects.filter(message=message).exclude(status=DeliveryStatus.HOLDOUT)
        assert {row.status for row in rows} == {DeliveryStatus.SENT}
        message.refresh_from_db()
        assert message.status == "sent"
        # Swept again: nothing is sent twice.
        assert sweep_messages_task() == 0
    by_card = {card.pk: token for card, token in zip(cards, tokens, strict=True)}
    assert sorted(r.token for r in apns_on.received()) == sorted(
        by_card[row.card_id] for row in rows
    )
