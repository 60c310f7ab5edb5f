"""What the wallets keep about a card and a programme (SPEC §2, §5): the pass identifiers, the
Apple devices that hold a pass, and what Google Wallet last accepted for a programme and a card."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


def new_serial_number() -> str:
    # Part of the pass's public URL: random, so holding one pass tells nothing about another.
    return secrets.token_hex(16)  # 128 random bits


def new_auth_token() -> str:
    # Apple requires at least 16 characters; the pass sends it back as "ApplePass <token>".
    return secrets.token_urlsafe(32)  # 256 random bits, 43 characters


class WalletPass(TimeStampedModel):
    """The identifiers of one card's passes, created when the card first needs a pass link."""

    card = models.OneToOneField(
        "cards.LoyaltyCard",
        on_delete=models.CASCADE,
        related_name="wallet_pass",
        verbose_name=_("card"),
    )
    apple_serial_number = models.CharField(
        max_length=64, unique=True, default=new_serial_number, editable=False
    )
    apple_auth_token = models.CharField(max_length=64, default=new_auth_token, editable=False)
    google_object_id = models.CharField(max_length=200, blank=True, editable=False)
    # Google Wallet (wallets.google.sync): the object as Google last accepted it, empty until it
    # is inserted. Patches carry only the top-level fields that differ from it.
    google_object = models.JSONField(default=dict, blank=True, editable=False)
    google_synced_at = models.DateTimeField(_("Google Wallet synced at"), null=True, blank=True)
    # The last permanent refusal (a 4xx other than quota), shown in the back office; cleared by
    # the next accepted request.
    google_error = models.TextField(_("Google Wallet error"), blank=True)
    google_error_at = models.DateTimeField(_("Google Wallet error at"), null=True, blank=True)
    # Whether the card had a reward ready when Google last accepted it, and when the customer
    # was last notified (Google allows 3 notifications per pass per 24 hours).
    google_reward_ready = models.BooleanField(default=False, editable=False)
    google_notified_at = models.JSONField(default=list, blank=True, editable=False)
    # The message the passes show (wallets.messages): on the back of the Apple pass, whose
    # version ``message_at`` moves; ``google_message_id`` is the last one Google accepted on the
    # object, so that sending a message again adds it only where it is missing.
    message_text = models.CharField(_("message"), max_length=90, blank=True, editable=False)
    message_detail = models.TextField(_("message details"), blank=True, editable=False)
    message_id = models.CharField(max_length=64, blank=True, editable=False)
    message_at = models.DateTimeField(_("message sent at"), null=True, blank=True, editable=False)
    google_message_id = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("wallet pass")
        verbose_name_plural = _("wallet passes")

    def __str__(self) -> str:
        return self.apple_serial_number


class ProgramWallet(TimeStampedModel):
    """A programme's own Wallet identifiers; empty means the platform's (settings)."""

    program = models.OneToOneField(
        "programs.LoyaltyProgram",
        on_delete=models.CASCADE,
        related_name="wallet",
        verbose_name=_("programme"),
    )
    google_issuer_id = models.CharField(_("Google Wallet issuer ID"), max_length=64, blank=True)
    apple_pass_type_id = models.CharField(_("Apple pass type ID"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("programme wallet identifiers")
        verbose_name_plural = _("programme wallet identifiers")

    def __str__(self) -> str:
        return str(self.program_id)


class GoogleClass(TimeStampedModel):
    """A programme's LoyaltyClass in Google Wallet (wallets.google.sync): what Google last
    accepted, or why it refused it."""

    program = models.OneToOneField(
        "programs.LoyaltyProgram",
        on_delete=models.CASCADE,
        related_name="google_class",
        verbose_name=_("programme"),
    )
    class_id = models.CharField(_("class ID"), max_length=200, unique=True)
    body = models.JSONField(default=dict, blank=True, editable=False)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    error_at = models.DateTimeField(_("error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Google Wallet class")
        verbose_name_plural = _("Google Wallet classes")

    def __str__(self) -> str:
        return self.class_id


class AppleRegistration(TimeStampedModel):
    """A device that added a card's Apple pass (Apple's PassKit web service, "Register a pass
    for update notifications"): it gets a push when the card changes, until it unregisters or
    APNs says the token is gone."""

    wallet_pass = models.ForeignKey(
        WalletPass,
        on_delete=models.CASCADE,
        related_name="apple_registrations",
        verbose_name=_("wallet pass"),
    )
    device_library_id = models.CharField(_("device"), max_length=128)
    push_token = models.CharField(_("push token"), max_length=256)

    class Meta:
        verbose_name = _("Apple Wallet registration")
        verbose_name_plural = _("Apple Wallet registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["device_library_id", "wallet_pass"], name="apple_registration_unique"
            )
        ]
        indexes = [models.Index(fields=["device_library_id"], name="apple_registration_device")]

    def __str__(self) -> str:
        return f"{self.device_library_id[:8]}… {self.wallet_pass_id}"
