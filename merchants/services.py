"""Writes on the platform: creating a merchant with its schema, host name and owner."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import quote_schema_name, schema_context

from common.emails import normalise_email
from common.urls import absolute_url
from merchants.models import AccountEmail, Domain, Merchant, SignInLink, slug_validator
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


# --- One-time sign-in links

# Long enough to follow a redirect or open an e-mail a moment later, short enough that a link
# found in a browser history later is dead.
SIGN_IN_LINK_LIFETIME = timedelta(minutes=10)


def _token_hash(token: str) -> str:
    # 256 random bits: a fast hash is enough, there is nothing a slow one would protect.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_sign_in_link(*, merchant: Merchant, user_id: int) -> str:
    """A one-time secret that signs ``user_id`` in on ``merchant``'s host (see
    ``redeem_sign_in_link``); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    SignInLink.objects.create(
        merchant=merchant,
        user_id=user_id,
        token_hash=_token_hash(token),
        expires_at=timezone.now() + SIGN_IN_LINK_LIFETIME,
    )
    return token


def issue_owner_sign_in_link(*, merchant: Merchant) -> str:
    """The link that signs a new merchant's owner in, straight after sign-up."""
    with schema_context(merchant.schema_name):
        owner = get_user_model().objects.get(username=merchant.contact_email, is_superuser=True)
    return issue_sign_in_link(merchant=merchant, user_id=owner.pk)


def redeem_sign_in_link(*, merchant: Merchant, token: str) -> int | None:
    """The user id a link signs in, once: None when it is unknown, forged, for another merchant,
    expired or already used. One conditional UPDATE decides, so two concurrent uses of the same
    link cannot both win."""
    now = timezone.now()
    link = (
        SignInLink.objects.filter(
            merchant=merchant,
            token_hash=_token_hash(token),
            used_at__isnull=True,
            expires_at__gt=now,
        )
        .only("pk", "user_id")
        .first()
    )
    if link is None:
        return None
    claimed = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    return link.user_id if claimed else None


# --- The public index of back-office e-mails


def record_account_email(*, schema_name: str, user_id: int, email: str, listed: bool) -> None:
    """Keep ``AccountEmail`` in step with one user of the merchant whose schema is
    ``schema_name``: listed (a back-office user with an address) or not."""
    merchant = Merchant.objects.filter(schema_name=schema_name).first()
    if merchant is None:
        return
    email = normalise_email(email or "")
    if listed and email:
        AccountEmail.objects.update_or_create(
            merchant=merchant, user_id=user_id, defaults={"email": email}
        )
    else:
        AccountEmail.objects.filter(merchant=merchant, user_id=user_id).delete()


def merchants_for_email(email: str) -> list[Merchant]:
    """The active merchants where ``email`` may sign in to the back office: as the contact address
    given at sign-up, or as a back-office user's address (``AccountEmail``). Two indexed queries,
    whatever the number of merchants."""
    email = normalise_email(email)
    if not email:
        return []
    indexed = AccountEmail.objects.filter(email=email).values("merchant_id")
    return list(
        Merchant.objects.filter(is_active=True)
        .exclude(schema_name="public")
        .filter(models.Q(contact_email__iexact=email) | models.Q(pk__in=indexed))
        .order_by("name")
    )


def email_sign_in_links(*, email: str, language: str) -> bool:
    """E-mail ``email`` the back-office sign-in pages of every merchant where it has an account
    (password sign-in pages, not links that sign in). Nothing is sent to an unknown address.
    Returns whether a message was sent; safe to run twice."""
    merchants = merchants_for_email(email)
    if not merchants:
        return False
    context = {
        "accounts": [
            {"name": merchant.name, "url": absolute_url(merchant.primary_host, "/admin/login/")}
            for merchant in merchants
        ],
    }
    with translation.override(language):
        subject = render_to_string("merchants/email/sign_in_links_subject.txt", context)
        text = render_to_string("merchants/email/sign_in_links.txt", context)
        html = render_to_string("merchants/email/sign_in_links.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[normalise_email(email)]
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return True
