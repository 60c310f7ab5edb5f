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
