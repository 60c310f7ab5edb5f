"""Background work of the platform's figures (``insights.platform``). Tasks take ids, enter the
merchant's schema themselves (whichever schema they were queued from: a merchant's after a change,
the public one from beat) and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError, OperationalError
from django_tenants.utils import schema_context

from common.coalescing import clear_pending
from insights.platform import rollup_merchant
from merchants.models import Merchant

logger = logging.getLogger("insights.platform")

# The coalescing marker of a merchant's roll-up (common.coalescing), one per merchant schema.
ROLLUP_PENDING = "platform-rollup"


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def rollup_merchant_task(merchant_id: int) -> bool:
    """Roll one merchant's figures up into the public tables; False when it no longer exists."""
    schema_name = (
        Merchant.objects.filter(pk=merchant_id).values_list("schema_name", flat=True).first()
    )
    if schema_name is None:
        return False
    with schema_context(schema_name):
        clear_pending(kind=ROLLUP_PENDING, schema_name=schema_name, pk=0)
    try:
        return rollup_merchant(merchant_id=merchant_id) is not None
    except DatabaseError:
        # Purged while its figures were read (its schema dropped, its row deleted): nothing to
        # roll up. Any other failure is an error and is retried or logged.
        if Merchant.objects.filter(pk=merchant_id).exists():
            raise
        return False


@shared_task(acks_late=True)
def rollup_platform_task() -> int:
    """The beat entry: one roll-up task per merchant (active or not: their figures count too).
    Returns how many were queued."""
    queued = 0
    for merchant_id in Merchant.objects.order_by("pk").values_list("pk", flat=True):
        try:
            rollup_merchant_task.delay(merchant_id=merchant_id)
        except Exception:
            # Without a broker the task runs right here: one merchant's error skips no other.
            logger.exception("roll-up of merchant %s failed", merchant_id)
            continue
        queued += 1
    return queued
