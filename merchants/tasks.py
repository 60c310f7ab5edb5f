"""Operational tasks of the platform, and upkeep of what every merchant schema holds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, connection

from common.idempotency import purge_idempotency_records
from merchants.fanout import queue_for_each_merchant
from merchants.services import email_sign_in_links


@shared_task(acks_late=True)
def probe_schema_task() -> dict[str, Any]:
    """Report where the worker ran this task: proves a worker is up and enters merchant schemas.

    Used by ``manage.py celery_probe`` after a deploy. Reads the search path from PostgreSQL itself,
    not only Django's idea of it.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schemas(false)")
        schemas = cursor.fetchone()[0]
    return {"schema": connection.schema_name, "search_path": list(schemas)}


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def purge_idempotency_records_task() -> int:
    """Forget, in the current merchant's schema, Idempotency-Keys older than the retention."""
    return purge_idempotency_records(
        older_than=timedelta(days=settings.IDEMPOTENCY_KEY_RETENTION_DAYS)
    )


@shared_task(acks_late=True)
def purge_idempotency_records_everywhere_task() -> int:
    """The daily beat entry: one purge per active merchant."""
    return queue_for_each_merchant(purge_idempotency_records_task)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_sign_in_links_task(email: str, language: str) -> bool:
    """E-mail an address the sign-in pages of its merchants (the platform's "Sign in" form)."""
    return email_sign_in_links(email=email, language=language)
