"""A merchant's stores (brands or locations). Loyalty programmes attach to stores."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from loyalty_saas.common.models import TimeStampedModel

store_code_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$",
    _("Use lower-case letters, digits and hyphens (up to 40), e.g. “main-street”."),
    code="invalid_code",
)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone."),
            code="invalid_timezone",
            params={"value": value},
        )


class Store(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
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
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name"]
        constraints = [
            # Lower-case only, so the plain unique index is also case-insensitive.
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[a-z0-9-]+$"), name="store_code_url_safe"
            ),
        ]

    def __str__(self) -> str:
        return self.name
