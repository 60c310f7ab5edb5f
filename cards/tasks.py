"""Background work of the engine. Tasks take ids, run in their merchant's schema (the schema they
were queued from) and are safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django_tenants.utils import schema_context

from cards.services import expire_points
from merchants.models import Merchant


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def expire_points_task() -> int:
    """Expire due points in the current merchant's schema; returns how many cards expired."""
    return expire_points()


@shared_task(acks_late=True)
def expire_points_everywhere_task() -> int:
    """The daily beat entry, on the public schema: one expiry task per active merchant."""
    schemas = list(Merchant.objects.filter(is_active=True).values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            expire_points_task.delay()
    return len(schemas)
