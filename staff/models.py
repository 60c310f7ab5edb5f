"""Credentials that act on a merchant's cards: API keys now, staff PINs with the engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import get_public_schema_name

from common.models import TimeStampedModel
from common.validators import refuse_control_characters


class ApiScope(models.TextChoices):
    READ = "read", _("Read cards, programmes and transactions")
    WRITE = "write", _("Enrol, add stamps and points, redeem, manage PINs and programmes")


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(TimeStampedModel):
    """A tenant-scoped token for Wizamart and POS systems.

    The key is ``lk_<prefix>_<secret>``; only the prefix (to find the row and show humans) and a
    SHA-256 of the secret are stored. The secret has 256 random bits, so a fast hash is enough:
    there is nothing to brute-force that a slow hash would protect.
    """

    name = models.CharField(_("name"), max_length=100, validators=[refuse_control_characters])
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    store = models.ForeignKey(
        "programs.Store",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_keys",
        verbose_name=_("only for store"),
        help_text=_("Leave empty for a key that works for every store."),
    )
    scopes = ArrayField(
        models.CharField(max_length=10, choices=ApiScope.choices),
        verbose_name=_("scopes"),
        default=list,
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scopes__contained_by=["read", "write"]),
                name="api_key_known_scopes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (lk_{self.prefix}_…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None and self.revoked_at <= timezone.now()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class StaffPin(TimeStampedModel):
    """A cashier's PIN at one store. Only an Argon2id hash is kept (see staff.pins)."""

    store = models.ForeignKey(
        "programs.Store",
        on_delete=models.PROTECT,
        related_name="staff_pins",
        verbose_name=_("store"),
    )
    name = models.CharField(
        _("staff member"), max_length=100, validators=[refuse_control_characters]
    )
    pin_hash = models.CharField(max_length=200, editable=False)
    failed_attempts = models.PositiveSmallIntegerField(
        _("failed attempts"), default=0, editable=False
    )
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("staff PIN")
        verbose_name_plural = _("staff PINs")
        ordering = ["store__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "name"],
                condition=models.Q(is_active=True),
                name="staff_pin_name_unique_per_store",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.store})"

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def cascade_in_merchant_schemas(collector: Any, field: Any, sub_objs: Any, using: str) -> None:
    """``CASCADE``, except in the public schema: users exist there too (platform staff), but no
    cashiers' table does, so deleting a platform user must not even look for cashiers.
    ``lazy_sub_objs`` keeps the deletion collector from querying before this is asked."""
    if connection.schema_name == get_public_schema_name():
        return
    models.CASCADE(collector, field, sub_objs, using)


cascade_in_merchant_schemas.lazy_sub_objs = True  # type: ignore[attr-defined]


class Cashier(TimeStampedModel):
    """A user of the merchant's schema who works the counter terminal (``/staff/``) and not the
    back office (``is_staff`` stays False). ``stores`` limits the stores their terminal offers;
    none means every store."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=cascade_in_merchant_schemas,
        related_name="cashier",
        verbose_name=_("user"),
    )
    stores = models.ManyToManyField(
        "programs.Store",
        blank=True,
        related_name="cashiers",
        verbose_name=_("stores"),
        help_text=_("Leave empty for a cashier who may work at every store."),
    )

    class Meta:
        verbose_name = _("cashier")
        verbose_name_plural = _("cashiers")
        ordering = ["user__first_name", "user__username"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()
