"""Listeners that keep the platform's public index of back-office e-mails (``AccountEmail``) in
step with the users of each merchant's schema, whoever changes them (sign-up, the back office's
user admin, a management command)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django_tenants.utils import get_public_schema_name

from merchants.services import record_account_email


def _in_merchant_schema() -> str | None:
    schema = connection.schema_name
    return None if schema == get_public_schema_name() else schema


def user_saved(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    schema = _in_merchant_schema()
    if raw or schema is None:
        return
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a sign-in or a new password: the address and the access are unchanged
    record_account_email(
        schema_name=schema,
        user_id=instance.pk,
        email=instance.email,
        listed=bool(instance.is_active and instance.is_staff),
    )


def user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    schema = _in_merchant_schema()
    if schema is None:
        return
    record_account_email(schema_name=schema, user_id=instance.pk, email="", listed=False)


def connect() -> None:
    user_model = get_user_model()
    post_save.connect(user_saved, sender=user_model, dispatch_uid="account-email-saved")
    post_delete.connect(user_deleted, sender=user_model, dispatch_uid="account-email-deleted")
