"""Customers, their cards and the append-only ledger of every operation on a card."""

from __future__ import annotations

import operator
import re
import secrets
from dataclasses import dataclass
from functools import reduce

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from cards.numbers import format_card_number, new_card_number
from common.emails import normalise_email
from common.models import TimeStampedModel
from common.validators import refuse_control_characters
from programs.rules import stamp_grid_columns

# Birthdays are a day and a month (no year: we do not need the age). 29 February is a birthday;
# in other years it is celebrated on 28 February (messaging.automations).
DAYS_IN_MONTH = {
    1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31
}  # fmt: skip


def is_valid_birthday(month: int, day: int) -> bool:
    return month in DAYS_IN_MONTH and 1 <= day <= DAYS_IN_MONTH[month]


def parse_birthday(text: str) -> tuple[int, int] | None:
    """``"MM-DD"`` as (month, day); None when it is not a day of the year."""
    match = re.fullmatch(r"(\d{2})-(\d{2})", text.strip())
    if match is None:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    return (month, day) if is_valid_birthday(month, day) else None


def _valid_birthday_condition() -> models.Q:
    by_length: dict[int, list[int]] = {}
    for month, days in DAYS_IN_MONTH.items():
        by_length.setdefault(days, []).append(month)
    conditions = [
        models.Q(birth_month__in=months, birth_day__gte=1, birth_day__lte=days)
        for days, months in sorted(by_length.items())
    ]
    return reduce(operator.or_, conditions)


class Customer(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200, validators=[refuse_control_characters])
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    locale = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    marketing_consent_at = models.DateTimeField(
        _("marketing consent given at"), null=True, blank=True
    )
    total_spent_cents = models.BigIntegerField(_("total spent (cents)"), default=0)
    # Optional, asked at enrolment for the birthday message: both or neither (a constraint).
    birth_month = models.PositiveSmallIntegerField(_("birth month"), null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(_("birth day"), null=True, blank=True)
    external_id = models.CharField(
        _("external ID"),
        max_length=100,
        blank=True,
        help_text=_("The customer's ID in Wizamart or your POS."),
    )
    enrolled_store = models.ForeignKey(
        "programs.Store",
        on_delete=models.PROTECT,
        related_name="enrolled_customers",
        null=True,
        blank=True,
        verbose_name=_("enrolled at"),
    )
    # Set by cards.services.privacy.erase_customer: the row stays (the ledger reaches it through
    # the cards) but holds nothing personal any more.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at"]
        constraints = [
            # One customer per e-mail within a merchant, whatever the capitalisation.
            models.UniqueConstraint(
                Lower("email"),
                name="customer_email_unique_ci",
                violation_error_message=_("A customer with this e-mail address already exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(total_spent_cents__gte=0),
                name="customer_total_spent_non_negative",
            ),
            # One customer per external ID (blank: not linked): concurrent trusted enrollments
            # of the same Wizamart customer create one row, the database decides.
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="customer_external_id_unique",
                violation_error_message=_("A customer with this external ID already exists."),
            ),
            # A birthday is a real day of the year (29 February included), or not given at all.
            # (Both columns named: a comparison with one NULL column would let the row pass.)
            models.CheckConstraint(
                condition=models.Q(birth_month__isnull=True, birth_day__isnull=True)
                | (
                    models.Q(birth_month__isnull=False, birth_day__isnull=False)
                    & _valid_birthday_condition()
                ),
                name="customer_birthday_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["external_id"], name="customer_external_id_idx"),
            # The daily birthday automation looks customers up by day of the year.
            models.Index(
                fields=["birth_month", "birth_day"],
                condition=models.Q(birth_month__isnull=False),
                name="customer_birthday_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def birthday(self) -> str | None:
        """``"MM-DD"``, or None when not given."""
        if self.birth_month is None or self.birth_day is None:
            return None
        return f"{self.birth_month:02d}-{self.birth_day:02d}"

    def save(self, *args: object, **kwargs: object) -> None:
        # Stored normalised so exact lookups agree with the case-insensitive unique index.
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


def _public_token() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits


# Defaults of the wallet fields the card had before ``wallets`` took them over: the historical
# migrations (0002) still name them.
def _serial_number() -> str:
    return secrets.token_hex(16)


def _auth_token() -> str:
    return secrets.token_urlsafe(32)


class LoyaltyCard(TimeStampedModel):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="cards", verbose_name=_("customer")
    )
    program = models.ForeignKey(
        "programs.LoyaltyProgram",
        on_delete=models.PROTECT,
        related_name="cards",
        verbose_name=_("programme"),
    )
    store = models.ForeignKey(
        "programs.Store", on_delete=models.PROTECT, related_name="cards", verbose_name=_("store")
    )
    card_number = models.CharField(
        _("card number"), max_length=20, unique=True, default=new_card_number, editable=False
    )
    qr_code_data = models.CharField(_("QR code data"), max_length=64, editable=False)
    public_token = models.CharField(
        max_length=64, unique=True, default=_public_token, editable=False
    )
    # Stamps
    stamp_count = models.PositiveIntegerField(_("stamps"), default=0)
    total_stamps_earned = models.PositiveIntegerField(_("stamps earned"), default=0)
    stamps_redeemed = models.PositiveIntegerField(_("stamps redeemed"), default=0)
    # Points
    points_balance = models.BigIntegerField(_("points"), default=0)
    total_points_earned = models.BigIntegerField(_("points earned"), default=0)
    points_redeemed = models.BigIntegerField(_("points redeemed"), default=0)
    # The card's wallet passes (serial number, tokens) are kept by ``wallets.WalletPass``.
    # Activity
    last_stamp_at = models.DateTimeField(_("last stamp"), null=True, blank=True)
    last_points_at = models.DateTimeField(_("last points"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    # Stamps given on ``stamps_day`` (the store's local date): the daily limit is checked against
    # this under the card's row lock, with no query over the ledger.
    stamps_today = models.PositiveSmallIntegerField(default=0, editable=False)
    stamps_day = models.DateField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("loyalty card")
        verbose_name_plural = _("loyalty cards")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "program"], name="card_one_per_program"),
            models.CheckConstraint(
                condition=models.Q(points_balance__gte=0), name="card_points_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(total_points_earned__gte=0, points_redeemed__gte=0),
                name="card_points_totals_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(card_number__regex=r"^[0-9]+$"), name="card_number_digits"
            ),
        ]

    def __str__(self) -> str:
        return format_card_number(self.card_number)

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.qr_code_data:
            self.qr_code_data = self.card_number
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def formatted_number(self) -> str:
        return format_card_number(self.card_number)

    # What the card can have now. The engine refuses by these, and the terminal, the card page and
    # the passes show by them, so an offered reward is never refused and the other way round.

    @property
    def stamp_rewards_ready(self) -> int:
        """How many stamp rewards the card could redeem now (0 on a card without stamps)."""
        program = self.program
        if not program.has_stamps or not program.stamps_target:
            return 0
        return self.stamp_count // program.stamps_target

    @property
    def has_reward_ready(self) -> bool:
        """Whether any reward could be redeemed now: a full stamp card or an affordable points
        reward (``cards.selectors.reward_ready_condition`` says the same in SQL)."""
        return bool(self.stamp_rewards_ready or self.affordable_rewards)

    @property
    def is_one_stamp_away(self) -> bool:
        """One stamp short of the next stamp reward, with none ready
        (``cards.selectors.one_stamp_away_condition`` says the same in SQL)."""
        program = self.program
        return bool(
            program.has_stamps
            and program.stamps_target
            and self.stamp_count == program.stamps_target - 1
        )

    def can_afford(self, reward: dict) -> bool:
        """Whether the points balance pays for ``reward`` (one of the programme's rewards)."""
        return reward["points_cost"] <= self.points_balance

    @property
    def affordable_rewards(self) -> list[dict]:
        """The programme's points rewards the card can have now, in the programme's order."""
        if not self.program.has_points:
            return []
        return [reward for reward in self.program.points_rewards if self.can_afford(reward)]

    @property
    def next_reward(self) -> dict | None:
        """The cheapest points reward the card cannot have yet, or None."""
        if not self.program.has_points:
            return None
        waiting = [r for r in self.program.points_rewards if not self.can_afford(r)]
        return min(waiting, key=lambda reward: reward["points_cost"], default=None)

    @property
    def points_to_next_reward(self) -> int | None:
        reward = self.next_reward
        return reward["points_cost"] - self.points_balance if reward else None

    @property
    def stamp_grid(self) -> StampGrid | None:
        """The stamp card as drawn on a page or a pass; None on a card without stamps."""
        program = self.program
        if not program.has_stamps or not program.stamps_target:
            return None
        target = program.stamps_target
        filled = min(self.stamp_count, target)
        ready = self.stamp_rewards_ready
        return StampGrid(
            target=target,
            filled=filled,
            marks=[index < filled for index in range(target)],
            columns=stamp_grid_columns(target),
            rewards_ready=ready,
            # Stamps beyond the full rewards already count toward the card after those are
            # redeemed.
            carried=self.stamp_count % target if ready else 0,
        )


@dataclass(frozen=True)
class StampGrid:
    target: int
    filled: int  # stamps drawn: never more than the target
    marks: list[bool]  # one per box, True when stamped
    columns: int
    rewards_ready: int
    carried: int  # stamps past the rewards ready, toward the next card


class TransactionType(models.TextChoices):
    STAMP_EARNED = "stamp_earned", _("Stamp earned")
    STAMP_REDEEMED = "stamp_redeemed", _("Stamps redeemed")
    POINTS_EARNED = "points_earned", _("Points earned")
    POINTS_REDEEMED = "points_redeemed", _("Points redeemed")
    POINTS_EXPIRED = "points_expired", _("Points expired")
    ADJUSTMENT = "adjustment", _("Adjustment")


class TransactionSource(models.TextChoices):
    API = "api", _("API")
    STAFF_PAGE = "staff_page", _("Staff terminal")
    ADMIN = "admin", _("Back office")
    SYSTEM = "system", _("System")


class LoyaltyTransaction(models.Model):
    """One operation on a card. Append-only: rows are never updated or deleted; a correction is a
    new ``adjustment`` row. For every card, its counters equal the sums of its rows' deltas."""

    card = models.ForeignKey(
        LoyaltyCard, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("card")
    )
    store = models.ForeignKey(
        "programs.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store")
    )
    staff_pin = models.ForeignKey(
        "staff.StaffPin",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    transaction_type = models.CharField(_("type"), max_length=20, choices=TransactionType.choices)
    stamps_delta = models.IntegerField(_("stamps"), default=0)
    points_delta = models.BigIntegerField(_("points"), default=0)
    stamps_after = models.PositiveIntegerField(_("stamps after"), default=0)
    points_after = models.BigIntegerField(_("points after"), default=0)
    purchase_amount_cents = models.BigIntegerField(_("purchase (cents)"), null=True, blank=True)
    reward_id = models.CharField(_("reward ID"), max_length=40, blank=True)
    reward_description = models.CharField(_("reward"), max_length=200, blank=True)
    # The request's Idempotency-Key, for the audit. Keys are unique per caller, not here: the
    # idempotency records (common.models) guard against doing an operation twice.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=TransactionSource.choices)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["card", "-created_at"], name="txn_card_recent_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points_after__gte=0), name="txn_points_after_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_transaction_type_display()} #{self.pk}"


class DataRequestKind(models.TextChoices):
    EXPORT = "export", _("Data export")
    ERASURE = "erasure", _("Erasure")


class DataRequest(models.Model):
    """An export or an erasure of a customer's data, kept for the merchant's records (GDPR
    Art. 30). The customer is an id, not a foreign key, and nothing personal is copied here: the
    record outlives the erasure and says only who asked for what, and when."""

    customer_id = models.BigIntegerField(_("customer ID"), db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DataRequestKind.choices)
    requested_by = models.CharField(
        _("requested by"),
        max_length=200,
        help_text=_("A back-office user, an API key or the customer."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.customer_id}"
