"""Background work of the engine. Tasks take ids, run in their merchant's schema (the schema they
were queued from) and are safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError
from django_tenants.utils import schema_context

from cards.services import expire_points, purge_idempotency_records
from merchants.models import Merchant


def _for_each_merchant(task: Task) -> int:
    """Queue ``task`` once in every active merchant's schema (beat entries run on public)."""
    schemas = list(Merchant.objects.filter(is_active=True).values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            task.delay()
    return len(schemas)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def expire_points_task() -> int:
    """Expire due points in the current merchant's schema; returns how many cards expired."""
    return expire_points()


@shared_task(acks_late=True)
def expire_points_everywhere_task() -> int:
    """The daily beat entry: one expiry task per active merchant."""
    return _for_each_merchant(expire_points_task)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def purge_idempotency_records_task() -> int:
    return purge_idempotency_records(
        older_than=timedelta(days=settings.IDEMPOTENCY_KEY_RETENTION_DAYS)
    )


@shared_task(acks_late=True)
def purge_idempotency_records_everywhere_task() -> int:
    """The daily beat entry: forget Idempotency-Keys older than the retention period."""
    return _for_each_merchant(purge_idempotency_records_task)
