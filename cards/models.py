"""Customers of a merchant. Cards and the ledger arrive with the programmes issue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from loyalty_saas.common.models import TimeStampedModel


class Customer(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    locale = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    marketing_consent_at = models.DateTimeField(
        _("marketing consent given at"), null=True, blank=True
    )
    total_spent_cents = models.BigIntegerField(_("total spent (cents)"), default=0)
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
        ]
        indexes = [models.Index(fields=["external_id"], name="customer_external_id_idx")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
