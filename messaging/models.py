"""Lock-screen messages to the holders of wallet passes (issue 14): campaigns a merchant writes
and sends, automations the engine's events and a daily sweep trigger, and one delivery row per
customer's card and occasion, which is both the budget's memory and the report's source."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel, set_null_in_merchant_schemas

TEXT_MAX_LENGTH = 90  # what the lock screen shows in full on both wallets
DETAIL_MAX_LENGTH = 1000


class MessagingSettings(TimeStampedModel):
    """The merchant's rules for every message (one row per merchant schema)."""

    default_language = models.CharField(
        _("default language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Customers whose language a message lacks get it in this one."),
    )
    weekly_cap = models.PositiveSmallIntegerField(
        _("messages per customer per week"),
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(14)],
        help_text=_("Campaigns and automations together, over any 7 days."),
    )
    quiet_start = models.TimeField(_("quiet hours from"), default=dt.time(21, 0))
    quiet_end = models.TimeField(_("quiet hours until"), default=dt.time(9, 0))

    class Meta:
        verbose_name = _("message settings")
        verbose_name_plural = _("message settings")

    def __str__(self) -> str:
        return str(_("Message settings"))


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone with a wallet pass")
    STORE = "store", _("A store's customers")
    REWARD_READY = "reward_ready", _("Reward ready, not redeemed")
    ONE_STAMP_AWAY = "one_stamp_away", _("One stamp away from a reward")
    NO_VISIT = "no_visit", _("No visit for N days")
    POINTS_EXPIRING = "points_expiring", _("Points expiring within 14 days")
    NEW = "new", _("Enrolled in the last N days")


# Audiences that need a number of days, and those that need a store.
AUDIENCES_WITH_DAYS = frozenset({Audience.NO_VISIT, Audience.NEW})
AUDIENCES_WITH_STORE = frozenset({Audience.STORE})


class Trigger(models.TextChoices):
    WELCOME = "welcome", _("Welcome after enrolment")
    ONE_STAMP_AWAY = "one_stamp_away", _("One stamp away")
    REWARD_READY = "reward_ready", _("Reward ready")
    REWARD_NOT_REDEEMED = "reward_not_redeemed", _("Reward not redeemed after N days")
    WIN_BACK = "win_back", _("Win-back after N days without a visit")
    POINTS_EXPIRING = "points_expiring", _("Points expiring in 14 days")
    BIRTHDAY = "birthday", _("Birthday")


# Service messages tell customers about their own card; the rest is marketing and needs consent.
SERVICE_TRIGGERS = frozenset(
    {
        Trigger.ONE_STAMP_AWAY,
        Trigger.REWARD_READY,
        Trigger.REWARD_NOT_REDEEMED,
        Trigger.POINTS_EXPIRING,
    }
)


class MessageKind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    AUTOMATION = "automation", _("Automation")


class MessageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class Message(TimeStampedModel):
    """A campaign (sent once to an audience) or an automation (sent on its trigger while on).

    ``texts`` holds the words per language: ``{"en": {"text": "…", "detail": "…"}}``; ``text``
    is the lock-screen line (≤ 90 characters), ``detail`` the longer text on the back of the pass.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=MessageKind.choices)
    name = models.CharField(_("name"), max_length=120)
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    # Campaigns: who, and when.
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    audience_store = models.ForeignKey(
        "programs.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    days = models.PositiveSmallIntegerField(
        _("days"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    program = models.ForeignKey(
        "programs.LoyaltyProgram",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("programme"),
        help_text=_("Only this programme's cards; empty: every programme's."),
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.DRAFT
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Automations: which event, whether on.
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices, blank=True)
    enabled = models.BooleanField(_("on"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=set_null_in_merchant_schemas,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger"],
                condition=models.Q(kind="automation"),
                name="messaging_one_automation_per_trigger",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_marketing(self) -> bool:
        """Whether it needs the customer's marketing consent (campaigns and non-service
        automations)."""
        return self.kind == MessageKind.CAMPAIGN or self.trigger not in SERVICE_TRIGGERS


# A delivery in these counts in its customer's budget.
SPENDING_STATUSES = ("sending", "sent")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    WAITING = "waiting", _("Waiting for quiet hours to end")
    # Claimed under the budget, being sent through the wallets now (counts in the budget).
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")
    HOLDOUT = "holdout", _("Held out")


class SkipReason(models.TextChoices):
    NO_PASS = "no_pass", _("No wallet pass")
    NO_CONSENT = "no_consent", _("No marketing consent")
    BUDGET = "budget", _("Message budget spent")
    QUIET_HOURS = "quiet_hours", _("Quiet hours")
    INACTIVE = "inactive", _("Card blocked")
    CANCELLED = "cancelled", _("Campaign cancelled")


class WalletResult(models.TextChoices):
    NONE = "", _("Not on this wallet")
    SENT = "sent", _("Sent")
    BUDGET = "budget", _("Google's daily limit")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One message to one card, on one occasion (a campaign: once; an automation: once per
    occasion, e.g. the reward that became ready). Never deleted: the budget counts the sent ones,
    the report counts them all, and the holdout's rows are the baseline of "came back"."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("message")
    )
    card = models.ForeignKey(
        "cards.LoyaltyCard",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("card"),
    )
    customer = models.ForeignKey(
        "cards.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    occasion = models.CharField(_("occasion"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    skip_reason = models.CharField(
        _("skipped because"), max_length=12, choices=SkipReason.choices, blank=True
    )
    # Held once by quiet hours (sent later): the report says how many waited.
    waited = models.BooleanField(_("waited for quiet hours"), default=False)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    apple = models.CharField(
        _("Apple Wallet"), max_length=8, choices=WalletResult.choices, blank=True
    )
    apple_devices = models.PositiveSmallIntegerField(_("Apple devices"), default=0)
    google = models.CharField(
        _("Google Wallet"), max_length=8, choices=WalletResult.choices, blank=True
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "card", "occasion"], name="messaging_delivery_once"
            ),
        ]
        indexes = [
            # The budget: a customer's messages sent in the last days.
            models.Index(
                fields=["customer", "sent_at"],
                condition=models.Q(status__in=["sending", "sent"]),
                name="messaging_delivery_budget",
            ),
            models.Index(fields=["message", "status"], name="messaging_delivery_report"),
            models.Index(
                fields=["not_before"],
                condition=models.Q(status="waiting"),
                name="messaging_delivery_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.card_id}"
