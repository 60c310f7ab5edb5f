"""The platform's own tables, in the public schema: merchants (tenants) and their host names."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from common.validators import refuse_control_characters

# Lower-case letters, digits and single hyphens, 3 to 32 characters, starting with a letter: valid
# as a DNS label and as a PostgreSQL schema name, and short enough for both with room to spare.
SLUG_PATTERN = r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){2,31}$"
slug_validator = RegexValidator(
    SLUG_PATTERN,
    _(
        "Use 3 to 32 lower-case letters, digits or hyphens, starting with a letter "
        "(no hyphen at the end or twice in a row)."
    ),
    code="invalid_slug",
)


class Merchant(TenantMixin):
    """A business on the platform. Its slug is its PostgreSQL schema and its sub-domain."""

    name = models.CharField(
        _("business name"), max_length=200, validators=[refuse_control_characters]
    )
    contact_email = models.EmailField(_("contact e-mail"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Schemas are created by merchants.services.create_merchant (a clone of the template schema,
    # inside the sign-up transaction), never implicitly on save, and never dropped on delete.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    @property
    def slug(self) -> str:
        return self.schema_name

    @property
    def primary_host(self) -> str:
        return f"{self.schema_name}.{settings.PLATFORM_DOMAIN}"


class Domain(DomainMixin):
    """A host name that routes to a merchant: ``<slug>.PLATFORM_DOMAIN`` or a custom domain."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        ordering = ["domain"]


class SignInLink(models.Model):
    """A one-time link that signs a merchant's user in (the owner, right after sign-up).

    Only a SHA-256 of the link's random secret is kept: the row proves the link was issued and
    records that it was used, so it works once and only until it expires. It lives in the public
    schema because it is issued on the platform host and redeemed on the merchant's.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    user_id = models.BigIntegerField()
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"sign-in link #{self.pk}"


class AccountEmail(models.Model):
    """Where a back-office user's e-mail address has an account: one row per user per merchant.

    Users live in each merchant's schema; "e-mail me my sign-in links" on the platform host cannot
    search a thousand schemas per request, so this public index is kept in step by a listener on
    the user model (merchants.receivers) and answered with one indexed query.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    user_id = models.BigIntegerField()
    email = models.EmailField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user_id"], name="account_email_per_user")
        ]

    def __str__(self) -> str:
        return self.email


class MerchantFigures(models.Model):
    """A merchant's figures, rolled up from its schema by ``insights.platform`` so that the
    platform's figures read one public table instead of a thousand schemas. Written only by the
    roll-up; ``rolled_up_at`` says how fresh they are (see README, Platform API)."""

    merchant = models.OneToOneField(
        Merchant,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="figures",
        verbose_name=_("merchant"),
    )
    programs = models.PositiveIntegerField(_("programmes"), default=0)
    cards = models.PositiveIntegerField(_("cards"), default=0)
    active_cards_30_days = models.PositiveIntegerField(_("active cards (30 days)"), default=0)
    operations_30_days = models.PositiveIntegerField(_("operations (30 days)"), default=0)
    stamps_30_days = models.BigIntegerField(_("stamps earned (30 days)"), default=0)
    points_30_days = models.BigIntegerField(_("points earned (30 days)"), default=0)
    redemptions_30_days = models.PositiveIntegerField(_("redemptions (30 days)"), default=0)
    wallet_apple_cards = models.PositiveIntegerField(_("cards in Apple Wallet"), default=0)
    wallet_google_cards = models.PositiveIntegerField(_("cards in Google Wallet"), default=0)
    last_operation_at = models.DateTimeField(_("last operation"), null=True, blank=True)
    rolled_up_at = models.DateTimeField(_("rolled up at"))

    class Meta:
        verbose_name = _("merchant figures")
        verbose_name_plural = _("merchant figures")
        indexes = [
            # The platform's "top merchants" and the per-merchant rows sorted by activity.
            models.Index(fields=["-operations_30_days"], name="figures_operations_idx"),
            models.Index(fields=["-cards"], name="figures_cards_idx"),
        ]

    def __str__(self) -> str:
        return str(self.merchant_id)


class ProgramDirectory(models.Model):
    """One row per programme of every merchant (the programme itself lives in the merchant's
    schema), rolled up by ``insights.platform`` for the platform admin API's list."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="program_directory",
        verbose_name=_("merchant"),
    )
    program_id = models.PositiveIntegerField(_("programme id"))
    name = models.CharField(_("card name"), max_length=200)
    store_code = models.CharField(_("store code"), max_length=40, blank=True)
    store_name = models.CharField(_("store"), max_length=200, blank=True)
    loyalty_type = models.CharField(_("loyalty type"), max_length=20)
    is_active = models.BooleanField(_("active"))
    cards = models.PositiveIntegerField(_("cards"), default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("rolled up at"))

    class Meta:
        verbose_name = _("programme (directory)")
        verbose_name_plural = _("programmes (directory)")
        ordering = ["merchant_id", "program_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "program_id"], name="program_directory_unique"
            )
        ]
        indexes = [models.Index(fields=["loyalty_type", "is_active"], name="directory_type_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.merchant_id}/{self.program_id})"
