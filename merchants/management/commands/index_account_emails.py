"""Rebuild the public index of back-office e-mails (``AccountEmail``) from every merchant's users.

The index is kept in step as users change (merchants.receivers); this fills it for merchants that
existed before it, and repairs it after a bulk change that bypassed the listeners (a raw SQL
update, a restore). One schema at a time; safe to run again.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name, schema_context

from merchants.models import AccountEmail, Merchant
from merchants.services import record_account_email


class Command(BaseCommand):
    help = "Rebuild the index of back-office e-mails used by the platform's “Sign in” form."

    def handle(self, *args: Any, **options: Any) -> None:
        merchants = Merchant.objects.exclude(schema_name=get_public_schema_name()).order_by("pk")
        listed = 0
        for merchant in merchants:
            with schema_context(merchant.schema_name):
                users = list(get_user_model().objects.all())
                kept = {user.pk for user in users}
                for user in users:
                    shown = bool(user.is_active and user.is_staff and user.email)
                    record_account_email(
                        schema_name=merchant.schema_name,
                        user_id=user.pk,
                        email=user.email,
                        listed=shown,
                    )
                    listed += shown
            AccountEmail.objects.filter(merchant=merchant).exclude(user_id__in=kept).delete()
        self.stdout.write(
            f"{listed} back-office e-mail(s) indexed in {len(merchants)} merchant(s)."
        )
