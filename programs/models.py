"""A merchant's stores (brands or locations) and its loyalty programmes. A programme is the
merchant's and is offered at its participating stores; a store takes part in at most one."""

from __future__ import annotations

import contextlib
import secrets
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.validators import refuse_control_characters
from programs.rules import (
    CARD_COLOR_MESSAGE,
    CARD_COLOR_PATTERN,
    COOLDOWN_MINUTES,
    DEFAULT_CARD_COLOR,
    MAX_DAILY_STAMPS,
    POINTS_EXPIRATION_DAYS,
    STAMPS_TARGET,
    card_color_validator,
    normalise_opening_hours,
    normalise_rewards,
    range_message,
    validate_opening_hours,
)

store_code_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$",
    _("Use lower-case letters, digits and hyphens (up to 40), e.g. “main-street”."),
    code="invalid_code",
)


def normalise_store_code(code: str) -> str:
    """A store code as stored: codes are lower-case, and people type them as they like."""
    return code.strip().lower()


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone."),
            code="invalid_timezone",
            params={"value": value},
        )


class Store(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200, validators=[refuse_control_characters])
    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        validators=[store_code_validator],
        help_text=_("Short, URL-safe identifier used in enrollment links and QR codes."),
    )
    address = models.TextField(_("address"), blank=True)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Luxembourg",
        validators=[validate_timezone],
        help_text=_("Daily stamp limits count days in this time zone."),
    )
    # Where the shop is: the Apple pass surfaces on the lock screen near it (pass "locations").
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text=_(
            "Optional, e.g. 49.611622. With the longitude, wallet passes appear on the "
            "lock screen near the store."
        ),
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text=_("Optional, e.g. 6.131935."),
    )
    # A week in the store's time zone (programs.rules.normalise_opening_hours); {}: not known.
    opening_hours = models.JSONField(
        _("opening hours"),
        default=dict,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_(
            "In the store's time zone. Operations outside them are flagged in the statistics."
        ),
    )
    # The programme the store takes part in (at most one: the key is on the store); its cards are
    # valid here. None: the store offers no programme (yet).
    program = models.ForeignKey(
        "LoyaltyProgram",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stores",
        verbose_name=_("loyalty programme"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Set the first time the store's QR poster is opened (the set-up checklist's "print the
    # poster" step): opening the page is as close to printing as the server can see.
    poster_opened_at = models.DateTimeField(
        _("poster opened"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name"]
        constraints = [
            # Lower-case only, so the plain unique index is also case-insensitive.
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[a-z0-9-]+$"), name="store_code_url_safe"
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                # Explicitly not null: a comparison with NULL would let the check pass.
                | models.Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="store_coordinates_both_in_range",
                violation_error_message=_("Give both the latitude and the longitude, or neither."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def clean(self) -> None:
        # Stored in one shape ("8h-12h" is "08:00"-"12:00"); refused values are the validator's.
        with contextlib.suppress(ValidationError):
            self.opening_hours = normalise_opening_hours(self.opening_hours)
        if (self.latitude is None) != (self.longitude is None):
            missing = "longitude" if self.longitude is None else "latitude"
            raise ValidationError(
                {
                    missing: ValidationError(
                        _("Give both the latitude and the longitude, or neither."),
                        code="coordinates_incomplete",
                    )
                }
            )


class LoyaltyType(models.TextChoices):
    STAMPS = "stamps", _("Stamps")
    POINTS = "points", _("Points")
    HYBRID = "hybrid", _("Stamps and points")


def program_logo_path(instance: LoyaltyProgram, filename: str) -> str:
    """``<schema>/logos/program-<random>.png``: each merchant's files under its own
    folder (the media view serves a host only its own), a new name for every upload so a changed
    logo is never hidden by a cached copy. Logos are re-encoded as PNG (programs.forms)."""
    return f"{connection.schema_name}/logos/program-{secrets.token_hex(8)}.png"


class LoyaltyProgram(TimeStampedModel):
    """The merchant's loyalty rules (stamps, points or both, with anti-fraud limits), offered at
    its participating ``stores`` (Store.program); a card is valid at every one of them."""

    loyalty_type = models.CharField(
        _("type"), max_length=10, choices=LoyaltyType.choices, default=LoyaltyType.STAMPS
    )
    # Stamps
    stamps_target = models.PositiveSmallIntegerField(
        _("stamps for a reward"), null=True, blank=True, default=10
    )
    stamps_reward_description = models.CharField(
        _("stamp reward"), max_length=200, blank=True, validators=[refuse_control_characters]
    )
    # Points
    points_per_euro = models.DecimalField(
        _("points per euro"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    points_rewards = models.JSONField(
        _("points rewards"),
        default=list,
        blank=True,
        help_text=_("Rewards customers can buy with points."),
    )
    points_expiration_days = models.PositiveIntegerField(
        _("points expire after (days without activity)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for points that never expire."),
    )
    # Anti-fraud
    cooldown_minutes = models.PositiveSmallIntegerField(_("minutes between two stamps"), default=15)
    max_daily_stamps = models.PositiveSmallIntegerField(_("stamps per card per day"), default=5)
    require_staff_pin = models.BooleanField(_("staff PIN required"), default=True)
    # Branding
    card_name = models.CharField(
        _("card name"), max_length=100, validators=[refuse_control_characters]
    )
    card_color = models.CharField(
        _("card colour"),
        max_length=7,
        default=DEFAULT_CARD_COLOR,
        validators=[card_color_validator],
    )
    logo = models.ImageField(_("logo"), upload_to=program_logo_path, blank=True)
    logo_url = models.URLField(_("logo URL"), blank=True)
    # The programme's Wallet identifiers are kept by ``wallets.ProgramWallet`` (see wallet_ids.py).
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")
        ordering = ["card_name", "pk"]
        constraints = [
            # The limits are programs.rules': changing one there changes these (and the forms').
            models.CheckConstraint(
                condition=models.Q(cooldown_minutes__lte=COOLDOWN_MINUTES.max),
                name="program_cooldown_max_day",
                violation_error_message=_("The time between two stamps can be at most a day."),
            ),
            models.CheckConstraint(
                condition=models.Q(
                    max_daily_stamps__gte=MAX_DAILY_STAMPS.min,
                    max_daily_stamps__lte=MAX_DAILY_STAMPS.max,
                ),
                name="program_daily_stamps_range",
                violation_error_message=range_message(
                    _("A card can get %(min)s to %(max)s stamps per day."), MAX_DAILY_STAMPS
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(stamps_target__isnull=True)
                | models.Q(
                    stamps_target__gte=STAMPS_TARGET.min, stamps_target__lte=STAMPS_TARGET.max
                ),
                name="program_stamps_target_range",
                violation_error_message=range_message(
                    _("A reward takes %(min)s to %(max)s stamps."), STAMPS_TARGET
                ),
            ),
            # More than 0, which at the rate's two decimal places is rules.POINTS_PER_EURO's 0.01.
            models.CheckConstraint(
                condition=models.Q(points_per_euro__isnull=True) | models.Q(points_per_euro__gt=0),
                name="program_points_per_euro_positive",
                violation_error_message=_("A euro must earn more than 0 points."),
            ),
            models.CheckConstraint(
                condition=models.Q(points_expiration_days__isnull=True)
                | models.Q(
                    points_expiration_days__gte=POINTS_EXPIRATION_DAYS.min,
                    points_expiration_days__lte=POINTS_EXPIRATION_DAYS.max,
                ),
                name="program_points_expiration_range",
                violation_error_message=range_message(
                    _("Points can expire after %(min)s to %(max)s days without activity."),
                    POINTS_EXPIRATION_DAYS,
                ),
            ),
            # Stamp programmes need a target, points programmes a rate; hybrid needs both.
            models.CheckConstraint(
                condition=models.Q(loyalty_type="points") | models.Q(stamps_target__isnull=False),
                name="program_stamps_need_target",
                violation_error_message=_("A stamp card needs the number of stamps for a reward."),
            ),
            models.CheckConstraint(
                condition=models.Q(loyalty_type="stamps") | models.Q(points_per_euro__isnull=False),
                name="program_points_need_rate",
                violation_error_message=_("A points card needs how many points a euro earns."),
            ),
            models.CheckConstraint(
                condition=models.Q(card_color__regex=CARD_COLOR_PATTERN),
                name="program_card_color_hex",
                violation_error_message=CARD_COLOR_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return self.card_name

    @property
    def has_stamps(self) -> bool:
        return self.loyalty_type in (LoyaltyType.STAMPS, LoyaltyType.HYBRID)

    @property
    def has_points(self) -> bool:
        return self.loyalty_type in (LoyaltyType.POINTS, LoyaltyType.HYBRID)

    def reward(self, reward_id: str) -> dict | None:
        return next((r for r in self.points_rewards if r.get("id") == reward_id), None)

    def clean(self) -> None:
        errors: dict[str, list[ValidationError]] = {}
        if self.has_stamps and not self.stamps_target:
            errors["stamps_target"] = [
                ValidationError(
                    _("A stamp card needs the number of stamps for a reward."),
                    code="stamps_target_required",
                )
            ]
        if self.has_points and not self.points_per_euro:
            errors["points_per_euro"] = [
                ValidationError(
                    _("A points card needs how many points a euro earns."),
                    code="points_rate_required",
                )
            ]
        try:
            self.points_rewards = normalise_rewards(self.points_rewards)
        except ValidationError as error:
            errors["points_rewards"] = error.error_list
        if errors:
            raise ValidationError(errors)
