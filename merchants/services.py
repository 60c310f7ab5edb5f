"""Writes on the platform: creating a merchant with its schema, host name and owner."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django_tenants.utils import quote_schema_name, schema_context

from merchants.models import Domain, Merchant, slug_validator
from merchants.schemas import clone_template_into, ensure_template_current


@dataclass(frozen=True)
class MerchantSignup:
    name: str
    slug: str
    email: str
    password: str


def validate_slug(slug: str) -> None:
    """Raise ValidationError(code=...) when a slug cannot become a schema and a host name."""
    slug_validator(slug)
    if slug in settings.RESERVED_SLUGS or slug.startswith("pg-") or slug.startswith("xn--"):
        raise ValidationError(
            _("“%(slug)s” is reserved. Please choose another address."),
            code="reserved_slug",
            params={"slug": slug},
        )
    if slug_is_taken(slug):
        raise ValidationError(
            _("“%(slug)s” is already taken. Please choose another address."),
            code="slug_taken",
            params={"slug": slug},
        )


def slug_is_taken(slug: str) -> bool:
    host = f"{slug}.{settings.PLATFORM_DOMAIN}"
    return (
        Merchant.objects.filter(schema_name__iexact=slug).exists()
        or Domain.objects.filter(domain__iexact=host).exists()
    )


def validate_signup(signup: MerchantSignup) -> None:
    """Check everything that can be checked before writing; field errors keyed like the form."""
    errors: dict[str, list[ValidationError]] = {}
    if not signup.name.strip():
        errors["name"] = [ValidationError(_("Please enter your business name."), code="required")]
    try:
        validate_slug(signup.slug)
    except ValidationError as error:
        errors["slug"] = error.error_list
    try:
        validate_email(signup.email)
    except ValidationError as error:
        errors["email"] = error.error_list
    try:
        user_model = get_user_model()
        validate_password(
            signup.password, user=user_model(username=signup.email, email=signup.email)
        )
    except ValidationError as error:
        errors["password"] = error.error_list
    if errors:
        raise ValidationError(errors)


def create_merchant(*, signup: MerchantSignup) -> Merchant:
    """Create a merchant: its row, its schema (cloned from the template), its host name and an owner
    superuser inside the schema — all in one transaction, so a failure leaves nothing behind."""
    validate_signup(signup)
    # Outside the transaction: migrating a stale template must not be rolled back with a failure.
    ensure_template_current()
    try:
        with transaction.atomic():
            merchant = Merchant.objects.create(
                schema_name=signup.slug, name=signup.name.strip(), contact_email=signup.email
            )
            Domain.objects.create(domain=merchant.primary_host, tenant=merchant, is_primary=True)
            clone_template_into(merchant.schema_name)
            with schema_context(merchant.schema_name):
                get_user_model().objects.create_superuser(
                    username=signup.email, email=signup.email, password=signup.password
                )
    except IntegrityError as error:
        # Two sign-ups raced for the same slug: the unique constraints decided; report it as taken.
        if slug_is_taken(signup.slug):
            raise ValidationError(
                {
                    "slug": ValidationError(
                        _("“%(slug)s” is already taken. Please choose another address."),
                        code="slug_taken",
                        params={"slug": signup.slug},
                    )
                }
            ) from error
        raise
    return merchant


def purge_merchant(*, merchant: Merchant) -> None:
    """Delete a merchant for good: its schema with every customer, card and ledger row, its host
    names and its row. Irreversible; for closing accounts, tests and benchmarks."""
    with transaction.atomic():
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP SCHEMA IF EXISTS {quote_schema_name(merchant.schema_name)} CASCADE"
            )
        Domain.objects.filter(tenant=merchant).delete()
        Merchant.objects.filter(pk=merchant.pk).delete()
