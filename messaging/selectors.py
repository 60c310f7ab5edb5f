"""Reads that carry the messages' rules: who an audience is, what a send would reach (the
preview), how much budget a customer has left, and what a message did (the report)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from cards.models import LoyaltyCard, LoyaltyTransaction, TransactionType
from cards.selectors import one_stamp_away_condition, reward_ready_condition, with_points_expiring
from messaging import rules
from messaging.models import (
    SPENDING_STATUSES,
    Audience,
    Delivery,
    DeliveryStatus,
    Message,
    MessagingSettings,
    SkipReason,
    WalletResult,
)
from wallets.messages import on_apple, on_google

POINTS_EXPIRING_WITHIN = dt.timedelta(days=14)

# What counts as coming back: an operation at a store (not an expiry or a correction).
VISIT_TYPES = (
    TransactionType.STAMP_EARNED,
    TransactionType.STAMP_REDEEMED,
    TransactionType.POINTS_EARNED,
    TransactionType.POINTS_REDEEMED,
)


def messaging_settings() -> MessagingSettings:
    """The merchant's message settings (created with the defaults on first use)."""
    found = MessagingSettings.objects.order_by("pk").first()
    if found is not None:
        return found
    settings_row, _created = MessagingSettings.objects.get_or_create(pk=1)
    return settings_row


def _visits() -> QuerySet[LoyaltyTransaction]:
    return LoyaltyTransaction.objects.filter(transaction_type__in=VISIT_TYPES)


def audience_cards(
    *,
    audience: str,
    store_id: int | None = None,
    days: int | None = None,
    program_id: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[LoyaltyCard]:
    """The cards an audience names: active cards of living customers, with or without a pass
    (those without are counted as skipped), optionally of one programme."""
    now = now or timezone.now()
    cards = LoyaltyCard.objects.filter(is_active=True, customer__erased_at__isnull=True)
    if program_id is not None:
        cards = cards.filter(program_id=program_id)
    if audience == Audience.STORE:
        # Enrolled there, or came there (a programme runs across stores).
        visited = _visits().filter(card_id=OuterRef("pk"), store_id=store_id)
        cards = cards.filter(Q(store_id=store_id) | Exists(visited))
    elif audience == Audience.REWARD_READY:
        cards = cards.filter(reward_ready_condition())
    elif audience == Audience.ONE_STAMP_AWAY:
        cards = cards.filter(one_stamp_away_condition())
    elif audience == Audience.NO_VISIT:
        since = now - dt.timedelta(days=days or 1)
        cards = cards.alias(last_seen=Coalesce("last_activity_at", "created_at")).filter(
            last_seen__lt=since
        )
    elif audience == Audience.POINTS_EXPIRING:
        cards = with_points_expiring(cards, now=now, within=POINTS_EXPIRING_WITHIN)
    elif audience == Audience.NEW:
        cards = cards.filter(created_at__gte=now - dt.timedelta(days=days or 1))
    return cards


def message_cards(message: Message, *, now: dt.datetime | None = None) -> QuerySet[LoyaltyCard]:
    return audience_cards(
        audience=message.audience,
        store_id=message.audience_store_id,
        days=message.days,
        program_id=message.program_id,
        now=now,
    )


def _spending(*, since: dt.datetime) -> QuerySet[Delivery]:
    """The deliveries that count in the budget since that moment (sent, or being sent)."""
    return Delivery.objects.filter(status__in=SPENDING_STATUSES, sent_at__gt=since)


def spent_budget_customers(*, now: dt.datetime, weekly_cap: int) -> QuerySet[Delivery]:
    """Customer ids that have had their week's messages (the preview's estimate)."""
    return (
        _spending(since=now - rules.WEEK)
        .values("customer_id")
        .annotate(sent=Count("pk"))
        .filter(sent__gte=weekly_cap)
        .values("customer_id")
    )


def spent_counts(
    *, customer_ids: set[int], card_ids: set[int], now: dt.datetime
) -> tuple[dict[int, int], dict[int, int]]:
    """Messages each customer had in the last week, and each card's pass in the last day (read
    under the customers' budget locks by ``services.deliver``)."""
    week = dict(
        _spending(since=now - rules.WEEK)
        .filter(customer_id__in=customer_ids)
        .values_list("customer_id")
        .annotate(count=Count("pk"))
    )
    day = dict(
        _spending(since=now - rules.DAY)
        .filter(card_id__in=card_ids)
        .values_list("card_id")
        .annotate(count=Count("pk"))
    )
    return week, day


@dataclass(frozen=True)
class Preview:
    targeted: int
    apple: int  # cards that would get it on Apple Wallet
    google: int  # … on Google Wallet
    both: int
    holdout: int  # about a tenth, not sent: the baseline of the report
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> cards
    waiting: int = 0  # would wait for quiet hours to end in their store's time zone

    @property
    def reached(self) -> int:
        return self.targeted - self.holdout - sum(self.skipped.values())


def preview(
    *,
    audience: str,
    store_id: int | None = None,
    days: int | None = None,
    program_id: int | None = None,
    marketing: bool = True,
    send_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Preview:
    """What sending to this audience now (or at ``send_at``) would do, counted in the database
    in one query: per wallet, the holdout, and the skipped with their reason, in the order the
    delivery applies them (no pass, no consent, budget)."""
    now = now or timezone.now()
    at = max(send_at or now, now)
    config = messaging_settings()
    cards = audience_cards(
        audience=audience, store_id=store_id, days=days, program_id=program_id, now=now
    ).annotate(has_apple=on_apple(), has_google=on_google())
    no_pass = Q(has_apple=False, has_google=False)
    no_consent = Q(customer__marketing_consent=False) if marketing else Q(pk__in=[])
    spent = Q(customer_id__in=spent_budget_customers(now=at, weekly_cap=config.weekly_cap))
    sendable_q = ~no_pass & ~no_consent & ~spent
    totals = cards.aggregate(
        targeted=Count("pk"),
        apple=Count("pk", filter=sendable_q & Q(has_apple=True)),
        google=Count("pk", filter=sendable_q & Q(has_google=True)),
        both=Count("pk", filter=sendable_q & Q(has_apple=True, has_google=True)),
        no_pass=Count("pk", filter=no_pass),
        no_consent=Count("pk", filter=~no_pass & no_consent),
        budget=Count("pk", filter=~no_pass & ~no_consent & spent),
    )
    # The holdout is drawn per card when the message is sent; a tenth of those sendable.
    sendable = totals["targeted"] - totals["no_pass"] - totals["no_consent"] - totals["budget"]
    holdout = round(sendable * rules.HOLDOUT_PERCENT / 100)
    waiting = 0
    if sendable:
        zones = cards.filter(sendable_q).values("store__timezone").annotate(cards=Count("pk"))
        for row in zones:
            if rules.in_quiet_hours(
                at, tz=row["store__timezone"], start=config.quiet_start, end=config.quiet_end
            ):
                waiting += row["cards"]
    share = (100 - rules.HOLDOUT_PERCENT) / 100 if sendable else 0
    return Preview(
        targeted=totals["targeted"],
        apple=round(totals["apple"] * share) if sendable else 0,
        google=round(totals["google"] * share) if sendable else 0,
        both=round(totals["both"] * share) if sendable else 0,
        holdout=holdout,
        skipped={
            SkipReason.NO_PASS: totals["no_pass"],
            SkipReason.NO_CONSENT: totals["no_consent"],
            SkipReason.BUDGET: totals["budget"],
        },
        waiting=round(waiting * share),
    )


@dataclass(frozen=True)
class Report:
    targeted: int
    sent: int
    apple_sent: int
    google_sent: int
    skipped: dict[str, int]
    waiting: int
    waited: int  # sent after quiet hours ended
    pending: int
    failed: int
    holdout: int
    # For the 14 days after the message: recipients (and holdout) who came to a store.
    returned: int
    holdout_returned: int

    @property
    def return_rate(self) -> float | None:
        return self.returned / self.sent if self.sent else None

    @property
    def holdout_return_rate(self) -> float | None:
        return self.holdout_returned / self.holdout if self.holdout else None

    @property
    def lift(self) -> float | None:
        """Percentage points the message added to the share who came back."""
        if self.return_rate is None or self.holdout_return_rate is None:
            return None
        return (self.return_rate - self.holdout_return_rate) * 100


def report(message: Message) -> Report:
    """What the message did, from its delivery rows (two queries)."""
    deliveries = Delivery.objects.filter(message=message)
    counts = deliveries.aggregate(
        targeted=Count("pk"),
        sent=Count("pk", filter=Q(status=DeliveryStatus.SENT)),
        apple_sent=Count("pk", filter=Q(apple=WalletResult.SENT)),
        google_sent=Count("pk", filter=Q(google=WalletResult.SENT)),
        waiting=Count("pk", filter=Q(status=DeliveryStatus.WAITING)),
        waited=Count("pk", filter=Q(status=DeliveryStatus.SENT, waited=True)),
        pending=Count("pk", filter=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])),
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        holdout=Count("pk", filter=Q(status=DeliveryStatus.HOLDOUT)),
        **{
            f"skipped_{reason}": Count(
                "pk", filter=Q(status=DeliveryStatus.SKIPPED, skip_reason=reason)
            )
            for reason in SkipReason.values
        },
    )
    came = _visits().filter(
        card_id=OuterRef("card_id"),
        created_at__gt=OuterRef("baseline"),
        created_at__lte=OuterRef("baseline") + rules.RETURN_WINDOW,
    )
    returns = (
        deliveries.filter(status__in=[DeliveryStatus.SENT, DeliveryStatus.HOLDOUT])
        .alias(baseline=Coalesce("sent_at", "created_at"))
        .alias(came=Exists(came))
        .aggregate(
            returned=Count("pk", filter=Q(status=DeliveryStatus.SENT, came=True)),
            holdout_returned=Count("pk", filter=Q(status=DeliveryStatus.HOLDOUT, came=True)),
        )
    )
    return Report(
        targeted=counts["targeted"],
        sent=counts["sent"],
        apple_sent=counts["apple_sent"],
        google_sent=counts["google_sent"],
        skipped={
            reason: counts[f"skipped_{reason}"]
            for reason in SkipReason.values
            if counts[f"skipped_{reason}"]
        },
        waiting=counts["waiting"],
        waited=counts["waited"],
        pending=counts["pending"],
        failed=counts["failed"],
        holdout=counts["holdout"],
        returned=returns["returned"],
        holdout_returned=returns["holdout_returned"],
    )
