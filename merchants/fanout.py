"""Per-merchant fan-out for beat entries: beat runs on the public schema, the work runs in each
merchant's schema. Any app's ``*_everywhere_task`` uses it."""

from __future__ import annotations

import logging

from celery import Task
from django_tenants.utils import schema_context

from merchants.models import Merchant

logger = logging.getLogger(__name__)


def queue_for_each_merchant(task: Task, **kwargs: object) -> int:
    """Queue ``task`` once in every active merchant's schema (tenant-aware Celery carries the
    schema to the worker); returns how many were queued.

    One merchant's failure is logged and the loop goes on: without a broker the task runs right
    here (development, tests) and its error would otherwise skip every merchant after it; with
    one, a failed publish is likewise that merchant's alone.
    """
    schemas = list(Merchant.objects.filter(is_active=True).values_list("schema_name", flat=True))
    queued = 0
    for schema in schemas:
        try:
            with schema_context(schema):
                task.delay(**kwargs)
        except Exception:
            logger.exception("%s failed for merchant schema %s", task.name, schema)
            continue
        queued += 1
    return queued
