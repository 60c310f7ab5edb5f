"""Operational tasks of the platform."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import connection


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
