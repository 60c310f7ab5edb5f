"""Every write of the messages: composing and scheduling a campaign, switching an automation, the
fan-out into delivery rows, and delivering a batch of them through both wallets under the
customer's budget and the store's quiet hours.

A delivery is claimed (status "sent") in a short transaction that holds the customer's budget
lock, then the wallets are called outside any transaction, then the outcome is recorded; a send
that reached no wallet gives its claim back (status "failed"), so the budget counts only what a
customer could have seen.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common.coalescing import queue_task
from messaging import rules
from messaging.models import (
    AUDIENCES_WITH_DAYS,
    AUDIENCES_WITH_STORE,
    Audience,
    Delivery,
    DeliveryStatus,
    Message,
    MessageKind,
    MessageStatus,
    MessagingSettings,
    SkipReason,
    Trigger,
    WalletResult,
)
from messaging.selectors import message_cards, messaging_settings, spent_counts
from programs.models import LoyaltyProgram, Store
from wallets.messages import MessageOutcome, PassMessage, post_messages, wallet_reach

logger = logging.getLogger("messaging")

# Background threads (no broker) carry this prefix: tests and callers can wait for them.
THREAD_PREFIX = "messages-"

FANOUT_CHUNK = 2000  # delivery rows written per statement
DELIVERY_BATCH = 500  # deliveries per task: one APNs connection, Google paced request by request
# A delivery still "sending" this long after its claim lost its worker: the sweep sends it again.
# Longer than a batch takes at Google's pace (500 objects at 15 a second: under a minute).
STALE_SENDING = dt.timedelta(minutes=15)


# --- Campaigns


def _check_audience(*, audience: str, store: Store | None, days: int | None) -> None:
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Choose one of the audiences.")})
    if audience in AUDIENCES_WITH_STORE and store is None:
        raise ValidationError({"audience_store": _("Choose the store whose customers get it.")})
    if audience in AUDIENCES_WITH_DAYS and not days:
        raise ValidationError({"days": _("Say how many days.")})


@transaction.atomic
def create_campaign(
    *,
    name: str,
    texts: object,
    audience: str = Audience.EVERYONE,
    store: Store | None = None,
    days: int | None = None,
    program: LoyaltyProgram | None = None,
    send_at: dt.datetime | None = None,
    send: bool = False,
    created_by_id: int | None = None,
) -> Message:
    """A new campaign; sent (now, or at ``send_at``) when ``send``, else kept as a draft."""
    config = messaging_settings()
    _check_audience(audience=audience, store=store, days=days)
    message = Message.objects.create(
        kind=MessageKind.CAMPAIGN,
        name=(name or "").strip()[:120] or _("Campaign"),
        texts=rules.clean_texts(texts, default_language=config.default_language),
        audience=audience,
        audience_store=store if audience in AUDIENCES_WITH_STORE else None,
        days=days if audience in AUDIENCES_WITH_DAYS else None,
        program=program,
        send_at=send_at,
        created_by_id=created_by_id,
    )
    if send:
        schedule_campaign(message=message, send_at=send_at)
    return message


@transaction.atomic
def update_campaign(
    *,
    message: Message,
    name: str,
    texts: object,
    audience: str,
    store: Store | None = None,
    days: int | None = None,
    program: LoyaltyProgram | None = None,
    send_at: dt.datetime | None = None,
) -> Message:
    """Change a campaign that has not started sending."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status not in (MessageStatus.DRAFT, MessageStatus.SCHEDULED):
        raise ValidationError(_("A campaign that started sending cannot be changed."))
    config = messaging_settings()
    _check_audience(audience=audience, store=store, days=days)
    message.name = (name or "").strip()[:120] or message.name
    message.texts = rules.clean_texts(texts, default_language=config.default_language)
    message.audience = audience
    message.audience_store = store if audience in AUDIENCES_WITH_STORE else None
    message.days = days if audience in AUDIENCES_WITH_DAYS else None
    message.program = program
    message.send_at = send_at
    message.save()
    if message.status == MessageStatus.SCHEDULED:
        _queue_start(message)
    return message


def _queue_start(message: Message) -> None:
    from messaging.tasks import start_campaign_task

    countdown = 0.0
    if message.send_at is not None:
        countdown = max(0.0, (message.send_at - timezone.now()).total_seconds())
    pk = message.pk
    # A send more than an hour ahead is started by the sweep (every few minutes) instead: a task
    # that long in the broker risks redelivery, and the sweep also starts any campaign whose task
    # was lost. Starting is safe twice, and does nothing before the campaign is due.
    if countdown <= 3600:
        # Without a broker (development) on a thread of its own: the fan-out talks to APNs and
        # Google, and the merchant's "Send now" should not wait for it.
        transaction.on_commit(
            lambda: queue_task(
                start_campaign_task,
                kwargs={"message_id": pk},
                window=countdown,
                thread_prefix=THREAD_PREFIX,
            )
        )


@transaction.atomic
def schedule_campaign(*, message: Message, send_at: dt.datetime | None = None) -> Message:
    """Send the campaign now, or at ``send_at``."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.kind != MessageKind.CAMPAIGN or message.status not in (
        MessageStatus.DRAFT,
        MessageStatus.SCHEDULED,
    ):
        raise ValidationError(_("This campaign was sent or cancelled already."))
    now = timezone.now()
    message.send_at = send_at if send_at and send_at > now else now
    message.status = MessageStatus.SCHEDULED
    message.save(update_fields=["send_at", "status", "updated_at"])
    _queue_start(message)
    return message


@transaction.atomic
def cancel_campaign(*, message: Message) -> Message:
    """Stop a scheduled or sending campaign: what was not sent yet never will be."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status in (MessageStatus.SENT, MessageStatus.CANCELLED):
        raise ValidationError(_("This campaign was sent or cancelled already."))
    message.status = MessageStatus.CANCELLED
    message.finished_at = timezone.now()
    message.save(update_fields=["status", "finished_at", "updated_at"])
    Delivery.objects.filter(
        message=message, status__in=[DeliveryStatus.PENDING, DeliveryStatus.WAITING]
    ).update(status=DeliveryStatus.SKIPPED, skip_reason=SkipReason.CANCELLED)
    return message


def _delivery_rows(
    message: Message, cards: Iterable[tuple[int, int, str]], *, occasion: str = ""
) -> list[Delivery]:
    config = messaging_settings()
    rows = []
    for card_id, customer_id, locale in cards:
        holdout = rules.is_holdout(message_id=message.pk, card_id=card_id)
        rows.append(
            Delivery(
                message=message,
                card_id=card_id,
                customer_id=customer_id,
                occasion=occasion,
                language=rules.language_for(
                    message.texts, locale=locale, default_language=config.default_language
                ),
                status=DeliveryStatus.HOLDOUT if holdout else DeliveryStatus.PENDING,
            )
        )
    return rows


def start_campaign(*, message_id: int, now: dt.datetime | None = None) -> list[list[int]]:
    """Fan a due campaign out into one delivery row per card of its audience (the holdout
    drawn), and return the pending deliveries' ids in batches for the delivery tasks.

    Safe to run twice: rows are unique per (message, card), and a second run returns the
    batches still pending. Does nothing before the campaign is due or after it is cancelled.
    """
    now = now or timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.kind != MessageKind.CAMPAIGN:
            return []
        if message.status == MessageStatus.SCHEDULED:
            if message.send_at and message.send_at > now:
                return []
            message.status = MessageStatus.SENDING
            message.started_at = now
            message.save(update_fields=["status", "started_at", "updated_at"])
        elif message.status != MessageStatus.SENDING:
            return []
    cards = (
        message_cards(message, now=now)
        .order_by("pk")
        .values_list("pk", "customer_id", "customer__locale")
    )
    chunk: list[tuple[int, int, str]] = []
    for row in cards.iterator(chunk_size=FANOUT_CHUNK):
        chunk.append(row)
        if len(chunk) == FANOUT_CHUNK:
            Delivery.objects.bulk_create(_delivery_rows(message, chunk), ignore_conflicts=True)
            chunk = []
    if chunk:
        Delivery.objects.bulk_create(_delivery_rows(message, chunk), ignore_conflicts=True)
    pending = Delivery.objects.filter(message=message, status=DeliveryStatus.PENDING)
    batches = in_batches(pending.order_by("pk").values_list("pk", flat=True))
    if not batches:
        finish_if_done(message_id=message.pk)
    return batches


def in_batches(ids: Iterable[int], size: int = DELIVERY_BATCH) -> list[list[int]]:
    batches: list[list[int]] = []
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) == size:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    return batches


def finish_if_done(*, message_id: int) -> None:
    """A sending campaign with nothing left pending, waiting or being sent is sent."""
    left = Delivery.objects.filter(
        message_id=message_id,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.WAITING, DeliveryStatus.SENDING],
    ).exists()
    if not left:
        Message.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(
            status=MessageStatus.SENT, finished_at=timezone.now(), updated_at=timezone.now()
        )


# --- Automations


def set_automation(
    *, trigger: str, enabled: bool, texts: object, days: int | None = None
) -> Message:
    """Switch an automation on or off, with its words (and its N days where it has one)."""
    if trigger not in Trigger.values:
        raise ValidationError({"trigger": _("Unknown automation.")})
    config = messaging_settings()
    with transaction.atomic():
        message, _created = Message.objects.select_for_update().get_or_create(
            kind=MessageKind.AUTOMATION,
            trigger=trigger,
            defaults={"name": Trigger(trigger).label},
        )
        message.texts = rules.clean_texts(texts, default_language=config.default_language)
        message.enabled = enabled
        message.days = days
        message.save()
    return message


def enabled_automation(trigger: str) -> Message | None:
    return Message.objects.filter(
        kind=MessageKind.AUTOMATION, trigger=trigger, enabled=True
    ).first()


def add_automation_deliveries(
    *, message: Message, cards: Sequence[tuple[int, int, str, str]]
) -> list[int]:
    """One delivery of the automation per (card_id, customer_id, locale, occasion) not seen
    before; returns the new pending ones' ids (the caller queues their delivery)."""
    by_occasion: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for card_id, customer_id, locale, occasion in cards:
        by_occasion[occasion].append((card_id, customer_id, locale))
    condition = Q(pk__in=[])
    for occasion, rows in by_occasion.items():
        # PostgreSQL gives no ids for rows ignore_conflicts skipped: read the pending ones back.
        Delivery.objects.bulk_create(
            _delivery_rows(message, rows, occasion=occasion), ignore_conflicts=True
        )
        condition |= Q(occasion=occasion, card_id__in=[row[0] for row in rows])
    return list(
        Delivery.objects.filter(condition, message=message, status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Delivery


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    waiting: int = 0
    failed: int = 0

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _lock_budgets(customer_ids: Iterable[int]) -> None:
    """The customers' budget locks, in id order (no deadlock between two batches), held to the
    end of the transaction. Keyed by schema too: advisory locks are database-wide."""
    schema_key = zlib.crc32(connection.schema_name.encode()) & 0x7FFFFFFF
    with connection.cursor() as cursor:
        # One statement: the ORDER BY makes PostgreSQL take them in id order.
        cursor.execute(
            # One 64-bit key: the schema's hash in the high half, the customer's id in the low
            # (ids past 2**32 would only share a lock, never skip one).
            "SELECT count(pg_advisory_xact_lock((%s::bigint << 32) | (customer_id & 4294967295)))"
            " FROM "
            "(SELECT unnest(%s::bigint[]) AS customer_id ORDER BY 1) AS ordered",
            [schema_key, sorted(set(customer_ids))],
        )


def _claim(delivery_ids: Sequence[int], now: dt.datetime, report: DeliveryReport) -> list[Delivery]:
    """Decide each delivery under its customer's budget lock; return the claimed ones."""
    config = messaging_settings()
    claimed: list[Delivery] = []
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("message", "card__store", "card__program", "customer")
            .filter(pk__in=delivery_ids)
            .filter(
                Q(status=DeliveryStatus.PENDING)
                | Q(status=DeliveryStatus.WAITING, not_before__lte=now)
                | Q(status=DeliveryStatus.SENDING, sent_at__lt=now - STALE_SENDING)
            )
            .order_by("pk")
        )
        if not deliveries:
            return []
        # Claimed before by a worker that died while sending: decided then (and counted in the
        # budget), sent again now; the wallets drop what that worker did deliver.
        stale = [d for d in deliveries if d.status == DeliveryStatus.SENDING]
        for delivery in stale:
            delivery.sent_at = now
            claimed.append(delivery)
        deliveries = [d for d in deliveries if d.status != DeliveryStatus.SENDING]
        reach = wallet_reach([delivery.card_id for delivery in deliveries])
        _lock_budgets(delivery.customer_id for delivery in deliveries)
        week, day = spent_counts(
            customer_ids={delivery.customer_id for delivery in deliveries},
            card_ids={delivery.card_id for delivery in deliveries},
            now=now,
        )
        for delivery in deliveries:
            message, card, customer = delivery.message, delivery.card, delivery.customer
            reason = ""
            if message.status == MessageStatus.CANCELLED or (
                message.kind == MessageKind.AUTOMATION and not message.enabled
            ):
                reason = SkipReason.CANCELLED
            elif not card.is_active or customer.erased_at is not None:
                reason = SkipReason.INACTIVE
            elif message.is_marketing and not customer.marketing_consent:
                reason = SkipReason.NO_CONSENT
            elif not (reach[card.pk].apple or reach[card.pk].google):
                reason = SkipReason.NO_PASS
            elif (
                week.get(customer.pk, 0) >= config.weekly_cap
                or day.get(card.pk, 0) >= rules.PER_PASS_PER_DAY
            ):
                reason = SkipReason.BUDGET
            if reason:
                delivery.status, delivery.skip_reason = DeliveryStatus.SKIPPED, reason
                report.skip(reason)
                continue
            tz = card.store.timezone
            if rules.in_quiet_hours(now, tz=tz, start=config.quiet_start, end=config.quiet_end):
                delivery.status, delivery.waited = DeliveryStatus.WAITING, True
                delivery.not_before = rules.quiet_hours_end(
                    now, tz=tz, start=config.quiet_start, end=config.quiet_end
                )
                report.waiting += 1
                continue
            delivery.status, delivery.sent_at = DeliveryStatus.SENDING, now
            week[customer.pk] = week.get(customer.pk, 0) + 1
            day[card.pk] = day.get(card.pk, 0) + 1
            claimed.append(delivery)
        _save_grouped(
            deliveries + stale, ["status", "skip_reason", "waited", "not_before", "sent_at"]
        )
    return claimed


def _save_grouped(deliveries: Sequence[Delivery], fields: list[str]) -> None:
    """Save these fields of the deliveries: one UPDATE per distinct set of values (a batch has
    a handful: sent, skipped for a reason, waiting until a time), not a CASE per row."""
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for delivery in deliveries:
        groups[tuple(getattr(delivery, name) for name in fields)].append(delivery.pk)
    for values, pks in groups.items():
        Delivery.objects.filter(pk__in=pks).update(**dict(zip(fields, values, strict=True)))


def _pass_message(delivery: Delivery) -> PassMessage:
    words = delivery.message.texts.get(delivery.language) or next(
        iter(delivery.message.texts.values())
    )
    return PassMessage(
        card_id=delivery.card_id,
        message_id=f"m{delivery.message_id}-d{delivery.pk}",
        header=delivery.card.program.card_name or delivery.message.name,
        text=words["text"],
        detail=words.get("detail", ""),
    )


def _retry_unanswered_pushes(outcomes: dict[int, MessageOutcome]) -> None:
    """Devices APNs gave no answer for get the push again later (the pass already shows the
    message; the push only tells the device to fetch it), with the wallets' own retries."""
    from wallets.tasks import push_cards_task

    retry = {
        card_id: outcome.apple_retry_registration_ids
        for card_id, outcome in outcomes.items()
        if outcome.apple_retry_registration_ids
    }
    if retry:
        push_cards_task.delay(
            card_ids=sorted(retry),
            registration_ids=sorted(pk for pks in retry.values() for pk in pks),
        )


def deliver(*, delivery_ids: Sequence[int], now: dt.datetime | None = None) -> DeliveryReport:
    """Send these deliveries (those still pending, or waiting and due): each is skipped with its
    reason, held for quiet hours, or claimed and sent through the wallets the card is on.

    Safe to run twice and in parallel: a delivery is decided once, under its row lock (rows
    another worker holds are left to it), and the wallets drop a repeated message id.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    claimed = _claim(delivery_ids, now, report)
    if claimed:
        outcomes = post_messages([_pass_message(delivery) for delivery in claimed], now=now)
        _retry_unanswered_pushes(outcomes)
        for delivery in claimed:
            outcome = outcomes.get(delivery.card_id)
            delivery.apple = outcome.apple if outcome and outcome.apple != "none" else ""
            delivery.apple_devices = outcome.apple_devices if outcome else 0
            delivery.google = outcome.google if outcome and outcome.google != "none" else ""
            delivery.error = (outcome.error if outcome else "")[:300]
            reached = WalletResult.SENT in (delivery.apple, delivery.google)
            if reached:
                delivery.status = DeliveryStatus.SENT
                report.sent += 1
            elif delivery.google == WalletResult.BUDGET and delivery.apple != WalletResult.FAILED:
                # Google's own daily limit (reward notifications count there too).
                delivery.status, delivery.skip_reason = DeliveryStatus.SKIPPED, SkipReason.BUDGET
                delivery.sent_at = None
                report.skip(SkipReason.BUDGET)
            else:
                delivery.status, delivery.sent_at = DeliveryStatus.FAILED, None
                report.failed += 1
        _save_grouped(
            claimed,
            ["status", "skip_reason", "sent_at", "apple", "apple_devices", "google", "error"],
        )
    for message_id in {
        message_id
        for message_id in Delivery.objects.filter(pk__in=delivery_ids)
        .values_list("message_id", flat=True)
        .distinct()
    }:
        finish_if_done(message_id=message_id)
    return report


def due_work(*, now: dt.datetime | None = None) -> tuple[list[int], list[list[int]]]:
    """For the sweep: campaigns due to start, deliveries whose quiet hours are over, and those
    whose worker died while sending them."""
    now = now or timezone.now()
    campaigns = list(
        Message.objects.filter(
            kind=MessageKind.CAMPAIGN, status=MessageStatus.SCHEDULED, send_at__lte=now
        ).values_list("pk", flat=True)
    )
    due = Delivery.objects.filter(
        Q(status=DeliveryStatus.WAITING, not_before__lte=now)
        | Q(status=DeliveryStatus.SENDING, sent_at__lt=now - STALE_SENDING)
    ).order_by("pk")
    return campaigns, in_batches(due.values_list("pk", flat=True))


# --- Settings


@transaction.atomic
def update_messaging_settings(
    *,
    default_language: str,
    weekly_cap: int,
    quiet_start: dt.time,
    quiet_end: dt.time,
) -> MessagingSettings:
    """Change the merchant's rules for every message (the back office's settings page)."""
    if default_language not in rules.LANGUAGE_CODES:
        raise ValidationError({"default_language": _("Choose one of the platform's languages.")})
    if not 0 <= weekly_cap <= 14:
        raise ValidationError({"weekly_cap": _("Between 0 and 14 messages a week.")})
    config = MessagingSettings.objects.select_for_update().get(pk=messaging_settings().pk)
    config.default_language = default_language
    config.weekly_cap = weekly_cap
    config.quiet_start = quiet_start
    config.quiet_end = quiet_end
    config.save()
    return config
