"""Per-merchant fan-out for beat entries: beat runs on the public schema, the work runs in each
merchant's schema. Any app's ``*_everywhere_task`` uses it."""

from __future__ import annotations

from celery import Task
from django_tenants.utils import schema_context

from merchants.models import Merchant


def queue_for_each_merchant(task: Task, **kwargs: object) -> int:
    """Queue ``task`` once in every active merchant's schema (tenant-aware Celery carries the
    schema to the worker); returns how many were queued."""
    schemas = list(Merchant.objects.filter(is_active=True).values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            task.delay(**kwargs)
    return len(schemas)
