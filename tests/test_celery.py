"""Celery is tenant-aware: a task queued inside a merchant's schema runs in that schema."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from merchants.models import Merchant
from merchants.tasks import probe_schema_task

pytestmark = pytest.mark.django_db


def test_a_task_runs_in_the_schema_it_was_queued_from(
    merchant: Merchant, other_merchant: Merchant
) -> None:
    with schema_context(other_merchant.schema_name):
        result = probe_schema_task.delay().get()
    assert result == {"schema": "beta", "search_path": ["beta", "public"]}


def test_a_task_queued_on_the_platform_runs_in_public() -> None:
    assert probe_schema_task.delay().get() == {"schema": "public", "search_path": ["public"]}
